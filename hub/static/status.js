// A ticket's status page: listens to the hub's stream while the page is visible
// and refetches its own facts only after an event about this ticket or its queue.
// The stream is closed while the phone's screen is off, so a hall full of pocketed
// phones does not hold hub threads.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("status-data").textContent);
  var info = data.info;
  var t = data.t;
  var source = null;
  var timer = null;
  var conn = document.getElementById("conn");
  var done = false;

  var FINAL = { served: 1, no_show: 1, cancelled: 1, void: 1 };

  function draw() {
    document.body.setAttribute("data-status", info.status || "");
    var status = info.status === "called" && info.counter_number !== null
      ? t.go_to + " " + t.counter + " " + info.counter_number
      : t[(info.status || "waiting") + "_status"] || info.status;
    document.getElementById("st-status").textContent = status;
    document.getElementById("st-ahead").textContent =
      info.people_ahead === null ? "\u2014" : String(info.people_ahead);
    document.getElementById("st-wait").textContent =
      info.est_wait_min === null ? "\u2014" : "\u00b1 " + info.est_wait_min + " " + t.minutes;
    // Served while the page was open: reload once so the server renders the SKM form.
    if (info.survey === "open" && !document.getElementById("survey")) { location.reload(); return; }
    if (FINAL[info.status]) { done = true; close(); }  // nothing more will change
  }

  function refresh() {
    timer = null;
    fetch(location.pathname.replace(/\/$/, "") + ".json", { cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (v) { info = v; draw(); })
      .catch(function () { /* next event tries again */ });
  }

  function soon() { if (timer === null) { timer = setTimeout(refresh, 700); } }

  function prefixOf(key) {
    var label = (key || "").slice((key || "").lastIndexOf("/") + 1);
    return label.split("-")[0];
  }

  function onRecord(msg) {
    var rec;
    try { rec = JSON.parse(msg.data); } catch (e) { return; }
    var ev = rec.event || {};
    var body = ev.body || {};
    if (ev.ticket === info.key || prefixOf(ev.ticket) === info.prefix ||
        body.to === info.service || body.ticket === info.key) {
      soon();
    }
  }

  function open() {
    if (source || done || !window.EventSource) { return; }
    source = new EventSource("/api/v1/stream?last_event_id=" + (info.last_hseq || 0));
    source.addEventListener("record", onRecord);
    source.addEventListener("hello", function () { conn.textContent = ""; soon(); });
    source.onerror = function () { conn.textContent = conn.getAttribute("data-offline"); };
  }

  function close() {
    if (source) { source.close(); source = null; }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { open(); } else { close(); }
  });
  draw();
  if (document.visibilityState !== "hidden") { open(); }
})();
