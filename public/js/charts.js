// Draws the dashboards' charts from their <script type="application/json"> data blocks.
// Without JavaScript (or chart.js) the numbers stay readable in the table beside each chart.
(function () {
  'use strict';
  if (typeof window.Chart === 'undefined') return;
  // Each metric's whole range, and the least span its axis shows (so a flat line is not magnified into noise).
  var ranges = { nps: { min: -100, max: 100, span: 20 }, csat: { min: 0, max: 100, span: 10 }, ces: { min: 1, max: 7, span: 1 } };
  var rootStyle = getComputedStyle(document.documentElement);
  var tone = function (name) { return rootStyle.getPropertyValue('--score-' + name).trim() || '#5b6477'; };
  var brand = rootStyle.getPropertyValue('--brand').trim() || '#2f5fd0';
  var band = 'rgba(47, 95, 208, 0.15)';

  // Numbers on the axes and in tooltips follow the reader's locale (en, de), as the tables do.
  function numberFormat(locale) {
    try {
      return new Intl.NumberFormat(locale || 'en', { maximumFractionDigits: 1 });
    } catch (e) {
      return new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
    }
  }

  function trend(data) {
    var points = data.points || [];
    // The page's words for the hollow points and the band (in its language).
    var words = data.words || {};
    var number = numberFormat(data.locale);
    var range = ranges[data.metric] || { span: 1 };
    var readable = function (p) { return !p.too_small && p.score !== null && p.score !== undefined; };
    var hasBand = points.some(function (p) { return p.low !== undefined; });
    var datasets = [{
      // The line joins only buckets with enough answers to read; the others are hollow points of their own.
      label: data.label,
      data: points.map(function (p) { return readable(p) ? p.score : null; }),
      borderColor: brand,
      backgroundColor: brand,
      spanGaps: false,
      tension: 0.2,
      pointRadius: 3,
      order: 0
    }, {
      label: words.tooFew || 'too few answers to read',
      data: points.map(function (p) { return !readable(p) && p.score !== null && p.score !== undefined ? p.score : null; }),
      showLine: false,
      borderColor: brand,
      pointBackgroundColor: '#fff',
      pointBorderWidth: 2,
      pointRadius: 4,
      order: 0
    }];
    if (hasBand) {
      // The 95 % band of the readable buckets: the high line filled down to the low line.
      datasets.push(
        { label: words.low || 'low', data: points.map(function (p) { return readable(p) ? p.low : null; }), borderWidth: 0, pointRadius: 0, fill: false, spanGaps: false, order: 1 },
        { label: words.high || 'high', data: points.map(function (p) { return readable(p) ? p.high : null; }), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: band, spanGaps: false, order: 1 }
      );
    }
    // The axis follows the data (scores and bands), padded, within the metric's range.
    var values = [];
    points.forEach(function (p) {
      [p.score, readable(p) ? p.low : null, readable(p) ? p.high : null].forEach(function (v) { if (typeof v === 'number') values.push(v); });
    });
    var y = {};
    if (values.length) {
      var lo = Math.min.apply(null, values);
      var hi = Math.max.apply(null, values);
      var pad = Math.max((hi - lo) * 0.1, (range.span - (hi - lo)) / 2, 0);
      y.min = range.min === undefined ? lo - pad : Math.max(range.min, lo - pad);
      y.max = range.max === undefined ? hi + pad : Math.min(range.max, hi + pad);
    }
    return {
      type: 'line',
      data: { labels: points.map(function (p) { return p.label || p.start; }), datasets: datasets },
      options: {
        locale: data.locale || 'en',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: y },
        plugins: {
          legend: { display: false },
          tooltip: {
            filter: function (item) { return item.datasetIndex <= 1 && item.raw !== null; },
            callbacks: {
              afterLabel: function (ctx) {
                var p = points[ctx.dataIndex];
                var lines = number.format(p.n) + ' responses' + (p.too_small ? ' (too few to read)' : '');
                if (p.low !== undefined && p.low !== null) lines += '\n95 % band ' + number.format(p.low) + ' to ' + number.format(p.high);
                return lines;
              }
            }
          }
        }
      }
    };
  }

  function bar(data) {
    return {
      type: 'bar',
      // A distribution's bars in their score group's colour (the table beside it names each group).
      data: { labels: data.labels || [], datasets: [{ label: data.label, data: data.values || [], backgroundColor: data.tones ? data.tones.map(tone) : brand }] },
      options: {
        locale: data.locale || 'en',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } }
      }
    };
  }

  document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
    var block = document.getElementById(canvas.getAttribute('data-chart'));
    if (!block) return;
    var data;
    try {
      data = JSON.parse(block.textContent);
    } catch (e) {
      return;
    }
    new window.Chart(canvas, data.kind === 'bar' ? bar(data) : trend(data));
  });
})();
