import { expect } from 'chai';
import { withTestContext } from '../helpers/context.ts';
import { loadDemo } from '../../server/demo/seed.ts';

/** The dashboards in German: the overview and a touchpoint page, for a user who chose German. */
describe('the dashboards in German', function () {
  this.timeout(60_000);
  const ctx = withTestContext();
  before(async () => {
    await loadDemo(ctx.deps);
  });

  async function germanViewer() {
    const { agent, email } = await ctx.signIn('viewer');
    await ctx.deps.db('users').where({ email }).update({ locale: 'de' });
    return agent;
  }

  /** Each German text is on the page, and the English it replaces is not. */
  function expectGerman(html: string, pairs: [de: string, en: string][]) {
    expect(html).to.contain('<html lang="de"');
    for (const [de, en] of pairs) {
      expect(html, de).to.contain(de);
      expect(html, en).not.to.contain(en);
    }
  }

  it('shows the overview in German', async () => {
    const agent = await germanViewer();
    const html = (await agent.get('/dashboard?where=region:north').expect(200)).text;
    expectGerman(html, [
      ['<title>Übersicht', '<title>Dashboard'],
      ['<h1>Übersicht</h1>', '<h1>Dashboard</h1>'],
      ['<summary>Zeitraum und Filter', 'Period and filters'],
      ['>Letzte 7 Tage</a>', 'Last 7 days'],
      ['>Dieses Quartal</a>', 'This quarter'],
      ['<label for="period-from">Von</label>', '>From</label>'],
      ['Nur Antworten, für die gilt: region ist north;', 'Only responses where'],
      ['Tage und Wochen in', 'days and weeks in'],
      ['Werte auf einen Blick', 'Scores at a glance'],
      ['<h3>Neueste Kommentare</h3>', 'Latest comments'],
      ['Verlauf, Segmente und alle Kommentare', 'Trend, segments and all comments'],
      ['<summary>Zahlen pro Woche</summary>', 'Weekly numbers'],
      ['>Woche ab</th>', 'Week of'],
      ['Wie Veränderungen geprüft werden', 'How changes are tested'],
      ['Welch-t-Test', 't-test'],
      ['Antwortquote ', 'Response rate'],
      ['im Zeitraum versandten Einladungen)', 'sent in the period'],
    ]);
    expect(html).to.match(/<p class="count">\d+ Antworten/);
    expect(html).to.match(/ Punkte /);
    expect(html).to.match(/ Pp\./);
    expect(html).not.to.match(/ points|\d pp\b/);
    expect(html).to.match(/(nicht )?signifikant \(p (&#x3D;|&lt;) 0,\d{3}\)/);
    expect(html).to.match(/<p class="muted">Wert \d+ · /);
    expect(html).to.match(/<p class="comment"[^>]*>„[^<]+“<\/p>/);
    // The chart's own words come in the JSON block too.
    const chart = JSON.parse(/<script type="application\/json" id="trend-delivery-nps">([^<]*)<\/script>/.exec(html)![1]);
    expect(chart.label).to.equal('NPS pro Woche');
    expect(html).to.match(/Pro Woche: |Keine Woche mit genug Antworten/);
  });

  it('shows a touchpoint page in German', async () => {
    const agent = await germanViewer();
    const html = (await agent.get('/dashboard/delivery-nps?preset=30d&segment=region&group=detractor').expect(200)).text;
    expectGerman(html, [
      ['<a href="/dashboard">Übersicht</a>', '>Dashboard</a>'],
      ['Umfrage delivery-nps', 'Survey delivery-nps'],
      ['<label for="f-interval">Intervall</label>', '>Interval</label>'],
      ['<option value="day" selected>Tag</option>', '>day</option>'],
      ['<label for="f-segment">Aufteilen nach</label>', 'Segment by'],
      ['>Alle Antworten</option>', 'All answers'],
      ['>Alle Kanäle</option>', 'Every channel'],
      ['>Website (Widget)</option>', 'Website (widget)'],
      ['<h2 id="trend-title">Verlauf</h2>', '>Trend</h2>'],
      ['NPS pro Tag, mit 95-%-Band', 'with its 95 % band'],
      ['<h2 id="distribution-title">Verteilung</h2>', '>Distribution</h2>'],
      ['<span class="pill tone-low">Kritiker (0–6)</span>', 'Detractors'],
      ['Indifferente (7–8)', 'Passives'],
      ['Promotoren (9–10)', 'Promoters'],
      ['<h2 id="funnel-title">Trichter</h2>', '>Funnel</h2>'],
      ['"labels":["Ereignisse","Versandte Einladungen","Antworten"]', '"Invitations sent"'],
      ['>Konversion</th>', 'Conversion'],
      ['<h2 id="segments-title">Segmente</h2>', '>Segments</h2>'],
      ['NPS nach region, die besten zuerst', 'best first'],
      ['<h2 id="comments-title">Kommentare</h2>', '>Comments</h2>'],
      ['<label for="c-group">Wertgruppe</label>', 'Score group'],
      ['<option value="detractor" selected>Kritiker (0–6)</option>', 'Detractors (0–6)'],
      ['Kommentare passen', 'comments match'],
      ['>Antworten (CSV)</a>', 'Responses (CSV)'],
      ['Wie das geprüft wird', 'How this is tested'],
      ['z-Test auf die NPS-Differenz', 'z-test on the NPS difference'],
      ['<button type="submit">Anzeigen</button>', '>Show</button>'],
      ['<button type="submit" class="secondary">Filtern</button>', '>Filter</button>'],
    ]);
    expect(html).to.match(/<span class="pill tone-low">Kritiker \d+<\/span>/);
    // Against the previous period: a change with its verdict, or too few to compare.
    expect(html).to.match(/<p class="change[^"]*">(.+ gegenüber .+ bis .+ · (nicht )?signifikant \(p .+\)|Vorzeitraum \(.+\): .+; zu wenige für einen Vergleich\.)<\/p>/);
    expect(html).not.to.match(/ against |Previous period/);
  });

  it('keeps English for a user who chose English, whatever the browser asks', async () => {
    const { agent } = await ctx.signIn('viewer');
    const english = (await agent.get('/dashboard/support-csat').set('Accept-Language', 'de-DE,de;q=0.9').expect(200)).text;
    expect(english).to.contain('<html lang="en"');
    expect(english).to.contain('Low (1–2)');
    expect(english).to.contain('<h2 id="distribution-title">Distribution</h2>');
    expect(english).not.to.contain('Verteilung');
  });
});
