// Hall board: follows the hub's event stream and redraws the calls.
// EventSource reconnects by itself and resends Last-Event-ID, so the hub
// replays what we missed; nothing here polls. The queue counts are refetched
// (once, debounced) only after an event that can change them; after a call the
// refetch is quick, because it also brings the call's clips for the voice.
(function () {
  "use strict";

  var MAX_CALLS = 6;
  var STREAM = "/api/v1/stream";
  var PAGE_MS = 8000;     // waiting tiles: one page this long, then the next
  var CALL_REFRESH_MS = 30;
  var QUEUE_REFRESH_MS = 400;
  var QUEUE_TYPES = {
    "ticket.issued": 1, "ticket.called": 1, "ticket.transferred": 1,
    "ticket.cancelled": 1, "ticket.skipped": 1, "ticket.done": 1,
    "ticket.void_ghost": 1, "call.retracted": 1, "call.superseded": 1,
    // An admin's catalogue edit (a new service, a rename) shows on an open board too.
    "hall.running_text": 1, "catalogue.set": 1, "catalogue.retired": 1, "roster.updated": 1
  };
  var TICKER_PX_PER_S = 120;  // reading speed of the running text, at 1080p

  var data = JSON.parse(document.getElementById("board-data").textContent);
  var view = data.view;
  var t = data.t;
  var calls = view.calls.slice();
  var lastSeen = view.last_hseq;   // records up to here are already on the page
  var heardThrough = view.last_hseq;  // calls up to here were made before we listened
  var epoch = view.hub_epoch;
  var refreshTimer = null;
  var refreshAt = 0;
  var source = null;
  var page = 0;
  var pageTimer = null;

  // The hub's clock, carried forward on the browser's monotonic clock.
  var hubBase = (view.clock.hub_ms || Date.now()) - performance.now();
  function hubNow() { return hubBase + performance.now(); }
  function syncHub(ms) { if (ms) { hubBase = ms - performance.now(); } }

  var speaker = null;
  if (view.sound.enabled && window.LoketSpeaker) {
    speaker = new window.LoketSpeaker({
      clips: view.sound.clips,
      maxAgeMs: view.sound.max_age_ms,
      now: hubNow,
      overlay: document.getElementById("sound-overlay")
    });
  }

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

  // Shrink a one-line text until it fits its box: a prefix-mode label (B-K2-14) or a long
  // mall name must never be cut off, on a 720p TV or a portrait screen.
  function fit(node) {
    node.style.fontSize = "";
    if (node.scrollWidth <= node.clientWidth || !node.clientWidth) { return; }
    var size = parseFloat(getComputedStyle(node).fontSize);
    for (var i = 0; i < 8 && node.scrollWidth > node.clientWidth; i++) {
      size = size * node.clientWidth / node.scrollWidth * 0.97;
      node.style.fontSize = size + "px";
    }
  }

  // A service name gets up to three lines on its tile; a longer one is set a little smaller,
  // down to 70%, before the last resort of "...".
  function fitLines(node) {
    node.style.fontSize = "";
    var size = parseFloat(getComputedStyle(node).fontSize);
    var floor = size * 0.7;
    while (node.scrollHeight > node.clientHeight + 1 && size > floor) {
      size = Math.max(floor, size * 0.92);
      node.style.fontSize = size + "px";
    }
  }

  function fitAll() {
    var nodes = document.querySelectorAll(".fit");
    for (var i = 0; i < nodes.length; i++) { fit(nodes[i]); }
  }

  function drawCalls(flash) {
    var now = calls[0];
    document.getElementById("now-number").textContent = now ? now.label : "\u2014";
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
      li.appendChild(el("span", "call-number fit", c.label));
      li.appendChild(el("span", "call-counter", t.counter + " " + c.number));
      list.appendChild(li);
    });
    fitAll();
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
      li.appendChild(el("span", "q-letter", s.prefix));
      li.appendChild(el("span", "q-name", s.name));
      li.appendChild(el("span", "q-count", String(s.waiting)));
      list.appendChild(li);
    });
    paginate();
  }

  // Tiles that do not fit are shown a page at a time. How many fit is measured, not
  // assumed: the same code serves 720p, 4K and portrait screens.
  function paginate() {
    var list = document.getElementById("queues");
    var tiles = list.children;
    var i;
    list.classList.remove("paged");
    for (i = 0; i < tiles.length; i++) { tiles[i].hidden = false; }
    var bottom = list.getBoundingClientRect().bottom + 0.5;
    var perPage = tiles.length;
    for (i = 0; i < tiles.length; i++) {
      if (tiles[i].getBoundingClientRect().bottom > bottom) {
        perPage = Math.max(1, i);
        break;
      }
    }
    var pages = Math.max(1, Math.ceil(tiles.length / perPage));
    page = page % pages;
    list.classList.toggle("paged", pages > 1);
    for (i = 0; i < tiles.length; i++) {
      tiles[i].hidden = Math.floor(i / perPage) !== page;
      if (!tiles[i].hidden) { fitLines(tiles[i].querySelector(".q-name")); }
    }
    document.getElementById("page-mark").textContent = pages > 1 ? (page + 1) + "/" + pages : "";
    clearTimeout(pageTimer);
    if (pages > 1) {
      pageTimer = setTimeout(function () { page += 1; paginate(); }, PAGE_MS);
    }
  }

  // The running text stands still when it fits and runs through its line when it does not.
  function drawTicker(text) {
    var box = document.getElementById("ticker");
    var line = document.getElementById("ticker-text");
    if (line.textContent !== (text || "")) { line.textContent = text || ""; }
    box.hidden = !text;
    document.body.classList.toggle("has-ticker", !!text);  // the footer grows by its line
    box.classList.remove("running");
    if (!text || line.offsetWidth <= box.clientWidth) { return; }
    box.classList.add("running");
    var px = line.offsetWidth * (1080 / Math.max(1, innerHeight));
    line.style.animationDuration = Math.max(8, px / TICKER_PX_PER_S) + "s";
  }

  function labelOf(key) {
    var i = key.lastIndexOf("/");
    return i < 0 ? key : key.slice(i + 1);
  }

  function counterNumber(id) {
    var c = view.counters[id];
    return c && c.number !== null && c.number !== undefined ? c.number : id;
  }

  function serviceOf(ev) {
    if (ev.body.expect_service) { return ev.body.expect_service; }
    for (var i = 0; i < calls.length; i++) {  // a recall: the call it repeats
      if (calls[i].ticket === ev.ticket && calls[i].service) { return calls[i].service; }
    }
    // Labels are "<prefix>-NNN"; the prefix names the service (config validates it).
    var prefix = labelOf(ev.ticket).split("-")[0];
    for (var j = 0; j < view.services.length; j++) {
      if (view.services[j].prefix === prefix) { return view.services[j].id; }
    }
    return null;
  }

  // The zone rule is the hub's (core/zones.py); the page only applies the sets it was given.
  function shows(service, counter) {
    var only = view.only || {};
    if (only.services && only.services.indexOf(service) < 0) { return false; }
    return !only.counters || only.counters.indexOf(counter) >= 0;
  }

  function onCall(ev, hseq) {
    var counter = ev.body.counter;
    var service = serviceOf(ev);
    var before = calls.length;
    calls = calls.filter(function (c) { return c.ticket !== ev.ticket; });
    // A zone board shows only its zone's calls (and speaks only those: the hub's list); a
    // ticket now called at another zone's counter leaves this board.
    if (!shows(service, counter)) {
      if (calls.length !== before) { drawCalls(false); }
      return;
    }
    calls.unshift({ hseq: hseq, ticket: ev.ticket, label: labelOf(ev.ticket), service: service,
                    counter: counter, number: counterNumber(counter) });
    calls = calls.slice(0, MAX_CALLS);
    drawCalls(true);  // the picture first; the voice follows when the clips come
  }

  function onLostCall(body) {
    // A call that lost to another counter must not keep sending people to the wrong desk.
    var before = calls.length;
    calls = calls.filter(function (c) {
      return !(c.ticket === body.ticket && c.counter === body.counter);
    });
    if (calls.length !== before) { drawCalls(false); }
  }

  // The hub's list of accepted calls with their clips; offer the ones not heard yet, in
  // order. Whether each is said, collapsed or dropped as too old is the speaker's rule.
  function speakNew(list) {
    (list || []).forEach(function (call) {
      if (typeof call.hseq !== "number" || call.hseq <= heardThrough) { return; }
      heardThrough = call.hseq;
      if (speaker) { speaker.offer(call); }
    });
  }

  function scheduleRefresh(delay) {
    var at = Date.now() + delay;
    if (refreshTimer !== null) {
      if (refreshAt <= at) { return; }
      clearTimeout(refreshTimer);
    }
    refreshAt = at;
    refreshTimer = setTimeout(refresh, delay);
  }

  function refresh() {
    refreshTimer = null;
    fetch("/board/view.json" + location.search, { cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (v) {
        if (v.hub_epoch === epoch && v.last_hseq < view.last_hseq) { return; }  // overtaken
        view = v;
        epoch = v.hub_epoch;
        syncHub(v.clock.hub_ms);
        drawTicker(v.running_text);
        drawQueues(v.services);
        if (v.last_hseq >= lastSeen) {
          calls = v.calls.slice();
          lastSeen = v.last_hseq;
          drawCalls(false);
        }
        speakNew(v.speak);
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
      scheduleRefresh(CALL_REFRESH_MS);
    } else if (ev.type === "call.superseded" || ev.type === "call.retracted") {
      onLostCall(ev.body || {});
    }
    if (QUEUE_TYPES[ev.type]) { scheduleRefresh(QUEUE_REFRESH_MS); }
  }

  function onHello(msg) {
    var hello;
    try { hello = JSON.parse(msg.data); } catch (e) { return; }
    setConn("online");
    syncHub(hello.hub_ms);
    // A restored hub starts a new history: our hseq bookmark means nothing there, and
    // what it replays was on the board before, not news to read out.
    if (hello.hub_epoch && hello.hub_epoch !== epoch) {
      lastSeen = -1;
      heardThrough = hello.last_hseq || 0;
      epoch = hello.hub_epoch;
    }
    scheduleRefresh(QUEUE_REFRESH_MS);
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

  // The hub's time in the MPP's timezone, whatever the TV's own clock and zone say.
  function tick() {
    var offset = view.clock.utc_offset_min || 0;
    var local = new Date(hubNow() + offset * 60000);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    document.getElementById("clock").textContent =
      two(local.getUTCHours()) + ":" + two(local.getUTCMinutes());
    setTimeout(tick, 60000 - local.getUTCSeconds() * 1000 - local.getUTCMilliseconds() + 50);
  }

  window.addEventListener("resize", function () {
    fitAll(); drawTicker(view.running_text); paginate();
  });
  // For a technician at the console (and the screen tests): the speaker, the hub's time,
  // and a way to look at each page of tiles without waiting for it.
  window.LoketBoard = {
    speaker: speaker,
    hubNow: hubNow,
    showPage: function (n) { page = n; paginate(); }
  };
  drawCalls(false);
  drawTicker(view.running_text);
  paginate();
  tick();
  if (window.EventSource) { connect(); } else { setConn("offline"); }
})();
