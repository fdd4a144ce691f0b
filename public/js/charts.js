// Draws the dashboards' charts from their <script type="application/json"> data blocks.
// Without JavaScript (or chart.js) the numbers stay readable in the table beside each chart.
(function () {
  'use strict';
  if (typeof window.Chart === 'undefined') return;
  var ranges = { nps: { min: -100, max: 100 }, csat: { min: 0, max: 100 }, ces: { min: 1, max: 7 } };
  var brand = getComputedStyle(document.documentElement).getPropertyValue('--brand').trim() || '#2f5fd0';
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
    var number = numberFormat(data.locale);
    var range = ranges[data.metric] || {};
    var hasBand = points.some(function (p) { return p.low !== undefined; });
    var datasets = [{
      label: data.label,
      data: points.map(function (p) { return p.score; }),
      borderColor: brand,
      backgroundColor: brand,
      spanGaps: false,
      tension: 0.2,
      // Buckets with too few answers are drawn as hollow points.
      pointBackgroundColor: points.map(function (p) { return p.too_small ? '#fff' : brand; }),
      pointRadius: 3,
      order: 0
    }];
    if (hasBand) {
      // The 95 % band: the high line filled down to the low line.
      datasets.push(
        { label: 'low', data: points.map(function (p) { return p.low; }), borderWidth: 0, pointRadius: 0, fill: false, spanGaps: false, order: 1 },
        { label: 'high', data: points.map(function (p) { return p.high; }), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: band, spanGaps: false, order: 1 }
      );
    }
    return {
      type: 'line',
      data: { labels: points.map(function (p) { return p.label || p.start; }), datasets: datasets },
      options: {
        locale: data.locale || 'en',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { suggestedMin: range.min, suggestedMax: range.max } },
        plugins: {
          legend: { display: false },
          tooltip: {
            filter: function (item) { return item.datasetIndex === 0; },
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
      data: { labels: data.labels || [], datasets: [{ label: data.label, data: data.values || [], backgroundColor: brand }] },
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
