// Ferry console: times in the reader's zone, live execution graphs and
// log tails (server-sent events), endpoint charts. No dependencies.
"use strict";
(function () {
  function localTimes(root) {
    var fmt = new Intl.DateTimeFormat(undefined, {dateStyle: "medium", timeStyle: "medium"});
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) { t.title = t.textContent; t.textContent = fmt.format(d); }
    });
  }
  var cls = {Succeeded: "ok", CacheHit: "ok", Failed: "bad", Interrupted: "bad", Executing: "run", Starting: "run", Stopping: "run"};
  function setStatus(el, status) {
    if (!el) return;
    el.classList.remove("ok", "bad", "run", "idle");
    el.classList.add(cls[status] || "idle");
  }
  function liveExecution() {
    var badge = document.getElementById("ex-status");
    if (!badge || !badge.dataset.live || !window.EventSource) return;
    var id = badge.dataset.execution;
    var es = new EventSource("/executions/" + encodeURIComponent(id) + "/live");
    var reload = false;
    es.addEventListener("step", function (m) {
      var e = JSON.parse(m.data);
      var st = e.step_status;
      var node = document.querySelector('.graph .node[data-step="' + CSS.escape(e.step) + '"]');
      if (node) {
        node.dataset.status = st; setStatus(node, st);
        var t = node.querySelector("title"); if (t) t.textContent = e.step + ": " + st + (e.attempt > 1 ? " (attempt " + e.attempt + ")" : "");
        node.setAttribute("aria-label", e.step + ": " + st);
      }
      var row = document.querySelector('tr[data-row="' + CSS.escape(e.step) + '"]');
      if (row) {
        var c = row.querySelector('[data-cell="status"]'); if (c) { c.textContent = st; setStatus(c, st); }
        var a = row.querySelector('[data-cell="attempts"]'); if (a) a.textContent = e.attempt;
      } else { reload = true; }
    });
    es.addEventListener("status", function (m) {
      var e = JSON.parse(m.data);
      badge.textContent = e.status; setStatus(badge, e.status);
    });
    es.addEventListener("end", function () {
      es.close();
      badge.dataset.done = "1";
      // The finished page has durations, outputs and the timeline.
      setTimeout(function () { location.reload(); }, reload ? 300 : 800);
    });
    es.onerror = function () { if (es.readyState === 2) badge.dataset.done = "1"; };
  }
  function liveLog() {
    var pre = document.getElementById("log");
    if (!pre || !pre.dataset.follow || !window.EventSource) return;
    var es = new EventSource(pre.dataset.follow);
    var first = true;
    es.addEventListener("log", function (m) {
      if (first && pre.textContent === "No log yet.") pre.textContent = "";
      first = false;
      var atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.textContent += JSON.parse(m.data);
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    });
    es.addEventListener("end", function () {
      es.close();
      var s = document.getElementById("log-live"); if (s) s.textContent = "the step has ended.";
    });
  }
  // quantile of the latency histogram's increase between two samples.
  function quantile(q, a, b) {
    var total = 0, i, prev = 0, inc = [];
    for (i = 0; i < b.buckets.length; i++) {
      var before = (a.buckets[i] || {count: 0}).count;
      inc.push(b.buckets[i].count - before);
    }
    total = inc.length ? inc[inc.length - 1] : 0;
    if (total <= 0) return null;
    for (i = 0; i < inc.length; i++) {
      if (inc[i] >= q * total) {
        var lo = i ? b.buckets[i - 1].le : 0, hi = b.buckets[i].le, below = i ? inc[i - 1] : 0;
        if (!isFinite(hi)) return lo * 1000;
        var f = inc[i] === below ? 1 : (q * total - below) / (inc[i] - below);
        return (lo + (hi - lo) * f) * 1000;
      }
      prev = inc[i];
    }
    return null;
  }
  function draw(svg, series) {
    var lines = svg.querySelectorAll("polyline");
    var maxv = 0;
    series.forEach(function (s) { s.forEach(function (v) { if (v != null && v > maxv) maxv = v; }); });
    maxv = maxv || 1;
    series.forEach(function (s, k) {
      var pts = [];
      var step = 300 / Math.max(s.length - 1, 1);
      s.forEach(function (v, i) { if (v != null) pts.push((i * step).toFixed(1) + "," + (78 - v / maxv * 74).toFixed(1)); });
      if (lines[k]) lines[k].setAttribute("points", pts.join(" "));
    });
  }
  function charts() {
    var box = document.getElementById("charts");
    if (!box) return;
    var samples = [], rate = [], err = [], p50 = [], p95 = [], p99 = [];
    function push(arr, v) { arr.push(v); if (arr.length > 60) arr.shift(); }
    function tick() {
      fetch(box.dataset.stats, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
        s.t = Date.parse(s.time);
        var a = samples[samples.length - 1];
        samples.push(s); if (samples.length > 2) samples.shift();
        if (!a) return;
        var dt = (s.t - a.t) / 1000 || 1, dr = s.requests - a.requests, de = s.errors - a.errors;
        push(rate, dr / dt); push(err, dr > 0 ? de / dr : 0);
        push(p50, quantile(0.5, a, s)); push(p95, quantile(0.95, a, s)); push(p99, quantile(0.99, a, s));
        draw(document.getElementById("chart-rate"), [rate]);
        draw(document.getElementById("chart-lat"), [p50, p95, p99]);
        draw(document.getElementById("chart-err"), [err]);
        document.getElementById("c-rate").textContent = (dr / dt).toFixed(2);
        var l = [p50, p95, p99].map(function (x) { var v = x[x.length - 1]; return v == null ? "—" : v.toFixed(1); });
        document.getElementById("c-lat").textContent = l.join(" / ");
        document.getElementById("c-err").textContent = (dr > 0 ? (100 * de / dr).toFixed(1) : "0.0") + "%";
      }).catch(function () {});
    }
    tick(); setInterval(tick, 2000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document); liveExecution(); liveLog(); charts();
  });
})();
