// Draws the dashboard's trend charts from their <script type="application/json"> data blocks.
// Without JavaScript (or chart.js) the numbers stay readable in the table beside each chart.
(function () {
  'use strict';
  if (typeof window.Chart === 'undefined') return;
  var ranges = { nps: { min: -100, max: 100 }, csat: { min: 0, max: 100 }, ces: { min: 1, max: 7 } };
  var brand = getComputedStyle(document.documentElement).getPropertyValue('--brand').trim() || '#2f5fd0';

  document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
    var block = document.getElementById(canvas.getAttribute('data-chart'));
    if (!block) return;
    var data;
    try {
      data = JSON.parse(block.textContent);
    } catch (e) {
      return;
    }
    var points = data.points || [];
    var range = ranges[data.metric] || {};
    new window.Chart(canvas, {
      type: 'line',
      data: {
        labels: points.map(function (p) { return p.start; }),
        datasets: [{
          label: data.label,
          data: points.map(function (p) { return p.score; }),
          borderColor: brand,
          backgroundColor: brand,
          spanGaps: false,
          tension: 0.2,
          // Weeks with too few answers are drawn as hollow points.
          pointBackgroundColor: points.map(function (p) { return p.too_small ? '#fff' : brand; }),
          pointRadius: 3
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { suggestedMin: range.min, suggestedMax: range.max } },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              afterLabel: function (ctx) {
                var p = points[ctx.dataIndex];
                return p.n + ' responses' + (p.too_small ? ' (too few to read)' : '');
              }
            }
          }
        }
      }
    });
  });
})();
