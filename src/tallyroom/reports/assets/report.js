/* tallyroom HTML report: draws the charts from the JSON each count carries. */
(function () {
  "use strict";
  var CONFIG = { displayModeBar: false, responsive: true, scrollZoom: false, displaylogo: false };
  var NARROW = 600; // px: phones get figures laid out for them
  var PRINT_WIDTH = 680; // px: the width of an A4 page's text
  var pending = [];

  function narrow() {
    return window.innerWidth < NARROW;
  }

  function wrap(text, width) {
    // a long name on a phone breaks into lines at spaces (plotly's <br>)
    if (typeof text !== "string" || text.length <= width) return text;
    var words = text.split(" "), lines = [], line = "";
    words.forEach(function (w) {
      if (line && (line + " " + w).length > width) { lines.push(line); line = w; }
      else { line = line ? line + " " + w : w; }
    });
    if (line) lines.push(line);
    return lines.join("<br>");
  }

  function fit(fig) {
    // a copy of the figure laid out for the screen it is drawn on
    var f = JSON.parse(JSON.stringify(fig));
    if (!narrow()) return f;
    var layout = f.layout || (f.layout = {});
    layout.font = { size: 11 };
    var across = f.data.some(function (t) { return t.type === "bar" && t.orientation === "h"; });
    // names on a horizontal bar chart take their own margin; other charts need their axis
    layout.margin = { l: across ? 4 : 44, r: 8, t: 44, b: 40 };
    if (layout.title && layout.title.text) layout.title.text = wrap(layout.title.text, 40);
    f.data.forEach(function (t) {
      if (t.type === "bar" && t.orientation === "h") {
        t.y = t.y.map(function (y) { return wrap(y, 16); });
        var lines = t.y.reduce(function (n, y) { return n + String(y).split("<br>").length; }, 0);
        layout.height = Math.max(layout.height || 0, 90 + 16 * lines + 10 * t.y.length);
        if (layout.xaxis && layout.xaxis.range) layout.xaxis.range[1] *= 1.5;
      }
    });
    var grouped = f.data.filter(function (t) { return t.type === "bar" && t.orientation !== "h"; });
    if (grouped.length > 3) {
      // too narrow for a label on each of many bars side by side: hover, and the table
      grouped.forEach(function (t) { t.textposition = "none"; });
    }
    if (f.data.some(function (t) { return t.type === "scatter"; })) {
      layout.legend = { orientation: "h", y: -0.2, yanchor: "top", font: { size: 10 } };
      layout.height = (layout.height || 460) + 16 * Math.ceil(f.data.length / 2);
      layout.margin.l = 44;
      layout.margin.b = 60;
    }
    return f;
  }

  function draw(el, fig) {
    // newPlot, not react: a redrawn flow diagram must not animate from the last stage's
    el._tallyroomFigure = fig;
    var f = fit(fig);
    var p = Plotly.newPlot(el, f.data, f.layout, CONFIG);
    pending.push(p);
    return p;
  }

  function setup(article) {
    var holder = article.querySelector("script.tallyroom-data");
    if (!holder) return;
    var data = JSON.parse(holder.textContent);
    (data.charts || []).forEach(function (c) {
      var el = document.getElementById(c.id);
      if (el) draw(el, c.figure);
    });
    var explorer = article.querySelector(".stage-explorer");
    if (!explorer || !data.stages.length) return;
    var select = explorer.querySelector("select");
    var prev = explorer.querySelector("button.prev");
    var next = explorer.querySelector("button.next");
    var bar = explorer.querySelector(".chart.bar");
    var sankey = explorer.querySelector(".chart.sankey");
    var sankeyFigure = explorer.querySelector(".sankey-figure");
    var noFlow = explorer.querySelector(".no-flow");
    var words = explorer.querySelector(".words");

    function show(k) {
      k = Math.max(0, Math.min(data.stages.length - 1, k));
      var st = data.stages[k];
      select.value = String(k);
      prev.disabled = k === 0;
      next.disabled = k === data.stages.length - 1;
      words.textContent = st.words;
      bar.setAttribute("aria-label", st.bar_label);
      draw(bar, st.bar);
      if (st.sankey) {
        sankeyFigure.hidden = false;
        noFlow.hidden = true;
        sankey.setAttribute("aria-label", st.sankey_label);
        draw(sankey, st.sankey);
      } else {
        sankeyFigure.hidden = true;
        noFlow.hidden = false;
        Plotly.purge(sankey);
      }
    }
    select.addEventListener("change", function () { show(parseInt(select.value, 10)); });
    prev.addEventListener("click", function () { show(parseInt(select.value, 10) - 1); });
    next.addEventListener("click", function () { show(parseInt(select.value, 10) + 1); });
    show(0); // the count opens where it began: the first stage (or round 1)
  }

  Array.prototype.forEach.call(document.querySelectorAll("article.count"), setup);

  // on paper every chart is drawn at the width of an A4 page's text, and back after
  function charts() {
    return Array.prototype.filter.call(document.querySelectorAll(".chart"), function (el) {
      return el._tallyroomFigure && el.offsetParent !== null;
    });
  }
  window.addEventListener("beforeprint", function () {
    charts().forEach(function (el) {
      Plotly.relayout(el, { width: PRINT_WIDTH, autosize: false });
    });
  });
  window.addEventListener("afterprint", function () {
    charts().forEach(function (el) {
      Plotly.relayout(el, { width: null, autosize: true });
    });
  });
  var lastNarrow = narrow();
  window.addEventListener("resize", function () {
    // crossing the phone width redraws the charts laid out for the new width
    if (narrow() === lastNarrow) return;
    lastNarrow = narrow();
    charts().forEach(function (el) { draw(el, el._tallyroomFigure); });
  });

  Promise.all(pending).then(function () {
    document.documentElement.setAttribute("data-charts", "drawn");
  }, function (err) {
    document.documentElement.setAttribute("data-charts", "failed");
    console.error(err);
  });
})();
