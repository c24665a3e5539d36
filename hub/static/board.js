// Hall board: follows the hub's event stream and redraws the calls.
// EventSource reconnects by itself and resends Last-Event-ID, so the hub
// replays what we missed; nothing here polls. The queue counts are refetched
// (once, debounced) only after an event that can change them.
(function () {
  "use strict";

  var MAX_CALLS = 6;
  var STREAM = "/api/v1/stream";
  var QUEUE_TYPES = {
    "ticket.issued": 1, "ticket.called": 1, "ticket.transferred": 1,
    "ticket.cancelled": 1, "ticket.skipped": 1, "ticket.done": 1,
    "ticket.void_ghost": 1, "call.retracted": 1, "call.superseded": 1
  };

  var data = JSON.parse(document.getElementById("board-data").textContent);
  var view = data.view;
  var t = data.t;
  var calls = view.calls.slice();
  var lastSeen = view.last_hseq;   // records up to here are already on the page
  var epoch = view.hub_epoch;
  var refreshTimer = null;
  var source = null;

  var conn = document.getElementById("conn");
  var connText = conn.querySelector(".conn-text");

  function setConn(state) {
    conn.setAttribute("data-state", state);
    connText.textContent = state === "online"
      ? connText.getAttribute("data-online")
      : connText.getAttribute("data-offline");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function sized(node, label) {
    // board.css shrinks a long label (SKT-014, SK-K1-12) to its column by its length.
    node.setAttribute("data-chars", String(label.length));
    return node;
  }

  function drawCalls(flash) {
    var now = calls[0];
    var number = document.getElementById("now-number");
    number.textContent = now ? now.label : "\u2014";
    sized(number, number.textContent);
    var counter = document.getElementById("now-counter");
    counter.textContent = "";
    if (now) {
      counter.appendChild(document.createTextNode(t.go_to + " "));
      counter.appendChild(el("strong", "", t.counter + " " + now.number));
    } else {
      counter.textContent = t.no_calls;
    }
    var list = document.getElementById("calls");
    list.textContent = "";
    calls.slice(1).forEach(function (c) {
      var li = el("li");
      li.appendChild(sized(el("span", "call-number", c.label), c.label));
      li.appendChild(el("span", "call-counter", t.counter + " " + c.number));
      list.appendChild(li);
    });
    if (flash) {
      var box = document.getElementById("now");
      box.classList.remove("flash");
      void box.offsetWidth;  // restart the animation for a repeated call
      box.classList.add("flash");
    }
  }

  function drawQueues(services) {
    var list = document.getElementById("queues");
    list.textContent = "";
    services.forEach(function (s) {
      var li = el("li");
      li.setAttribute("data-service", s.id);
      li.appendChild(el("span", "q-name", s.name));
      li.appendChild(el("span", "q-count", String(s.waiting)));
      li.appendChild(el("span", "q-label", t.waiting));
      list.appendChild(li);
    });
  }

  function labelOf(key) {
    var i = key.lastIndexOf("/");
    return i < 0 ? key : key.slice(i + 1);
  }

  function counterNumber(id) {
    var c = view.counters[id];
    return c && c.number !== null && c.number !== undefined ? c.number : id;
  }

  function serviceOf(key) {
    // Labels are "<prefix>-NNN"; the prefix names the service (config validates it).
    var prefix = labelOf(key).split("-")[0];
    for (var i = 0; i < view.services.length; i++) {
      if (view.services[i].prefix === prefix) { return view.services[i].id; }
    }
    return null;
  }

  function onCall(ev, hseq) {
    var counter = ev.body.counter;
    // A zone board (?services=) shows only its own services' calls.
    if (view.only.length && !serviceOf(ev.ticket)) { return; }
    calls = calls.filter(function (c) { return c.ticket !== ev.ticket; });
    calls.unshift({ hseq: hseq, ticket: ev.ticket, label: labelOf(ev.ticket),
                    counter: counter, number: counterNumber(counter) });
    calls = calls.slice(0, MAX_CALLS);
    drawCalls(true);
  }

  function onLostCall(body) {
    // A call that lost to another counter must not keep sending people to the wrong desk.
    var before = calls.length;
    calls = calls.filter(function (c) {
      return !(c.ticket === body.ticket && c.counter === body.counter);
    });
    if (calls.length !== before) { drawCalls(false); }
  }

  function scheduleRefresh() {
    if (refreshTimer !== null) { return; }
    refreshTimer = setTimeout(refresh, 400);
  }

  function refresh() {
    refreshTimer = null;
    fetch("/board/view.json" + location.search, { cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (v) {
        view = v;
        epoch = v.hub_epoch;
        drawQueues(v.services);
        if (v.last_hseq >= lastSeen) {
          calls = v.calls.slice();
          lastSeen = v.last_hseq;
          drawCalls(false);
        }
      })
      .catch(function () { /* the next event or reconnect will try again */ });
  }

  function onRecord(msg) {
    var rec;
    try { rec = JSON.parse(msg.data); } catch (e) { return; }
    if (typeof rec.hseq !== "number" || rec.hseq <= lastSeen) { return; }
    lastSeen = rec.hseq;
    var ev = rec.event || {};
    var day = view.day;
    if (ev.ticket && day && ev.ticket.indexOf(day + "/") !== 0 &&
        ev.ticket.indexOf("/") >= 0) { return; }
    if (ev.type === "ticket.called" || ev.type === "ticket.recalled") {
      onCall(ev, rec.hseq);
    } else if (ev.type === "call.superseded" || ev.type === "call.retracted") {
      onLostCall(ev.body || {});
    }
    if (QUEUE_TYPES[ev.type]) { scheduleRefresh(); }
  }

  function onHello(msg) {
    var hello;
    try { hello = JSON.parse(msg.data); } catch (e) { return; }
    setConn("online");
    // A restored hub starts a new history: our hseq bookmark means nothing there.
    if (hello.hub_epoch && hello.hub_epoch !== epoch) {
      lastSeen = -1;
      epoch = hello.hub_epoch;
    }
    scheduleRefresh();
  }

  function connect() {
    // Start right after what the page already shows; later reconnects by the
    // browser send Last-Event-ID, which the hub prefers over this parameter.
    source = new EventSource(STREAM + "?last_event_id=" + Math.max(0, lastSeen));
    source.addEventListener("hello", onHello);
    source.addEventListener("record", onRecord);
    source.onopen = function () { setConn("online"); };
    source.onerror = function () {
      setConn("offline");
      // CLOSED means the browser gave up (e.g. the hub answered 5xx while
      // starting); CONNECTING means it retries by itself after `retry:`.
      if (source.readyState === EventSource.CLOSED) {
        source = null;
        setTimeout(connect, 5000);
      }
    };
  }

  function tick() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    document.getElementById("clock").textContent = two(d.getHours()) + ":" + two(d.getMinutes());
    setTimeout(tick, (60 - d.getSeconds()) * 1000);
  }

  drawCalls(false);
  tick();
  if (window.EventSource) { connect(); } else { setConn("offline"); }
})();
