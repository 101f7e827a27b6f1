// kvbench report page: draws every chart of the embedded data with Chart.js, with error bars, 1-2-5 log ticks,
// hover showing value and interval, and legend clicks toggling series. Writes what it drew, and any script error,
// into <pre id="render-state"> for the browser test.
(function () {
  'use strict';
  const errors = [];
  const state = { charts: {}, errors: errors };
  function publish() {
    document.getElementById('render-state').textContent = JSON.stringify(state);
  }
  window.addEventListener('error', function (e) { errors.push(String(e.message)); publish(); });
  const consoleError = console.error;
  console.error = function () {
    errors.push(Array.prototype.map.call(arguments, String).join(' '));
    consoleError.apply(console, arguments);
  };

  function fmt(v) {
    if (v !== 0 && (Math.abs(v) >= 1e7 || Math.abs(v) < 1e-4)) { return v.toExponential(2); }
    return v.toLocaleString('en-US', { maximumSignificantDigits: 4 });
  }

  // Labels only at 1, 2 and 5 times a power of ten (Chart.js puts log ticks at 1..9 times).
  function oneTwoFive(v) {
    const e = Math.floor(Math.log10(v) + 1e-9);
    const m = v / Math.pow(10, e);
    return [1, 2, 5].some(function (k) { return Math.abs(m - k) < 1e-6; });
  }

  // Vertical bars from each point's low to high, in the series colour, for every visible series.
  const errorBars = {
    id: 'kvbenchErrorBars',
    afterDatasetsDraw: function (chart) {
      const ctx = chart.ctx;
      const y = chart.scales.y;
      let drawn = 0;
      chart.data.datasets.forEach(function (ds, i) {
        if (!chart.isDatasetVisible(i)) { return; }
        chart.getDatasetMeta(i).data.forEach(function (el, j) {
          const p = ds.data[j];
          if (!p || !(p.high > p.low)) { return; }
          const top = y.getPixelForValue(p.high);
          const bottom = y.getPixelForValue(p.low);
          ctx.save();
          ctx.strokeStyle = ds.errorColour;
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(el.x, top); ctx.lineTo(el.x, bottom);
          ctx.moveTo(el.x - 4, top); ctx.lineTo(el.x + 4, top);
          ctx.moveTo(el.x - 4, bottom); ctx.lineTo(el.x + 4, bottom);
          ctx.stroke();
          ctx.restore();
          drawn++;
        });
      });
      chart.$errorBars = drawn;
    }
  };

  function axis(label, log, min, max, category, names) {
    const a = { title: { display: true, text: label }, grid: { color: '#dddddd' } };
    if (category) { a.type = 'category'; return a; }
    if (names) {
      a.type = 'linear';
      a.min = -0.5;
      a.max = names.length - 0.5;
      a.ticks = { autoSkip: false, callback: function (v) { return Number.isInteger(v) ? names[v] : ''; } };
      // One tick per named position (the axis runs from -0.5, where step-1 ticks would all fall between names).
      a.afterBuildTicks = function (scale) { scale.ticks = names.map(function (n, i) { return { value: i }; }); };
      return a;
    }
    if (log) {
      a.type = 'logarithmic';
      a.min = min;
      a.max = max;
      a.ticks = { autoSkip: false, callback: function (v) { return oneTwoFive(v) ? fmt(v) : ''; } };
      a.grid = { color: function (ctx) { return ctx.tick && oneTwoFive(ctx.tick.value) ? '#dddddd' : 'rgba(0,0,0,0.03)'; } };
    } else {
      a.type = 'linear';
      a.beginAtZero = true;
      // Every interval's end on the axis, not only the points (Chart.js fits the axis to the points).
      if (typeof min === 'number') { a.suggestedMin = min; }
      if (typeof max === 'number') { a.suggestedMax = max; }
    }
    return a;
  }

  function draw(c) {
    const category = c.kind === 'category';
    const datasets = c.series.map(function (s) {
      return {
        label: s.label,
        data: s.points,
        borderColor: s.colour,
        backgroundColor: category ? s.points.map(function () { return s.colour + 'cc'; }) : s.colour,
        errorColour: category ? '#333333' : s.colour,
        borderDash: s.dash,
        pointStyle: s.marker,
        pointRadius: s.line ? 4 : 8,
        borderWidth: category ? 1 : 2,
        showLine: s.line
      };
    });
    if (category && c.series.length === 1) {
      // One series of strategies: each bar in its strategy's colour.
      datasets[0].backgroundColor = c.series[0].points.map(function (p) { return colourOf(p.x) + 'cc'; });
    }
    const chart = new Chart(document.getElementById('canvas-' + c.id), {
      type: category ? 'bar' : 'line',
      data: category ? { labels: categories(c), datasets: datasets } : { datasets: datasets },
      options: {
        animation: false,
        responsive: false,
        parsing: { xAxisKey: 'x', yAxisKey: 'y' },
        scales: {
          x: axis(c.xLabel, c.xLog, c.xMin, c.xMax, category, c.xNames),
          y: axis(c.yLabel, c.yLog, c.yMin, c.yMax, false, null)
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: {
            callbacks: {
              label: function (item) {
                const p = item.raw;
                const interval = p.high > p.low ? ' [' + fmt(p.low) + ', ' + fmt(p.high) + ']' : ' (no interval)';
                return item.dataset.label + ': ' + fmt(p.y) + ' ' + c.unit + interval;
              }
            }
          }
        }
      },
      plugins: [errorBars]
    });
    state.charts[c.id] = {
      series: datasets.map(function (d) { return d.label; }),
      points: datasets.reduce(function (n, d) { return n + d.data.length; }, 0),
      errorBars: chart.$errorBars || 0,
      yMin: chart.scales.y.min,
      yMax: chart.scales.y.max
    };
    if (location.hash === '#selfcheck') { selfCheck(c, chart); }
  }

  // Opened as report.html#selfcheck (the browser test): what hovering the first point shows, and what clicking the
  // first legend entry does (the legend's own handler, so the series is hidden and shown again exactly as by a click).
  function selfCheck(c, chart) {
    const first = chart.data.datasets[0];
    state.charts[c.id].tooltip = chart.options.plugins.tooltip.callbacks.label({ raw: first.data[0], dataset: first });
    const legend = chart.legend;
    const item = legend.legendItems[0];
    Chart.defaults.plugins.legend.onClick.call(legend, { native: null }, item, legend);
    state.charts[c.id].visibleAfterClick = chart.isDatasetVisible(item.datasetIndex !== undefined ? item.datasetIndex : 0);
    state.charts[c.id].errorBarsAfterClick = chart.$errorBars || 0;
    Chart.defaults.plugins.legend.onClick.call(legend, { native: null }, legend.legendItems[0], legend);
    state.charts[c.id].visibleAfterSecondClick = chart.isDatasetVisible(0);
  }

  function categories(c) {
    const seen = [];
    c.series.forEach(function (s) { s.points.forEach(function (p) { if (seen.indexOf(p.x) < 0) { seen.push(p.x); } }); });
    return seen;
  }

  const colours = {};
  function colourOf(strategy) { return colours[strategy] || '#7f7f7f'; }

  try {
    const data = JSON.parse(document.getElementById('kvbench-data').textContent);
    (data.strategyColours || []).forEach(function (e) { colours[e.strategy] = e.colour; });
    data.charts.forEach(draw);
  } catch (e) {
    errors.push(String(e && e.stack || e));
  }
  publish();
})();
