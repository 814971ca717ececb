/* tallyroom HTML report: draws the charts from the JSON each count carries. */
(function () {
  "use strict";
  var CONFIG = { displayModeBar: false, responsive: true, scrollZoom: false, displaylogo: false };
  var pending = [];

  function draw(el, fig) {
    // newPlot, not react: a redrawn flow diagram must not animate from the last stage's
    var p = Plotly.newPlot(el, fig.data, fig.layout, CONFIG);
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
    // open on the first stage that moves votes, else the last stage
    var start = data.stages.length - 1;
    for (var i = 0; i < data.stages.length; i++) {
      if (data.stages[i].sankey) { start = i; break; }
    }
    show(start);
  }

  Array.prototype.forEach.call(document.querySelectorAll("article.count"), setup);
  Promise.all(pending).then(function () {
    document.documentElement.setAttribute("data-charts", "drawn");
  }, function (err) {
    document.documentElement.setAttribute("data-charts", "failed");
    console.error(err);
  });
})();
