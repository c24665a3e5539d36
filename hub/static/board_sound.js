// Hall board voice: says each call with the shipped clips through Web Audio.
// The clip names come from the hub (core.announce, the one composer); what is said when
// comes from LoketAnnounceQueue (the hall's one rule). The clips of one announcement are
// joined into one buffer and played by one source node, so they are gapless and two
// announcements can never overlap. The screen never waits for any of this.
(function () {
  "use strict";

  var Queue = window.LoketAnnounceQueue;
  var UNLOCK_EVENTS = ["pointerdown", "touchend", "keydown", "click"];
  var WATCHDOG_MS = 3000;  // an 'ended' that never comes must not silence the hall for good

  function Speaker(opts) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    this.base = opts.clips;
    this.now = opts.now;
    this.overlay = opts.overlay || null;
    this.queue = new Queue(opts.maxAgeMs);
    this.buffers = {};     // clip name -> Promise of its decoded AudioBuffer
    this.busy = false;
    this.counts = { queued: 0, collapsed: 0, stale: 0, played: 0, failed: 0 };
    this.ctx = Ctx ? new Ctx() : null;
    if (this.ctx) { this.watchUnlock(); }
  }

  // Browsers start audio suspended until someone touches the page, unless the kiosk runs
  // with --autoplay-policy=no-user-gesture-required: then it runs at once and the overlay
  // never shows. Otherwise the overlay asks for one tap, and hides for good once it ran.
  Speaker.prototype.watchUnlock = function () {
    var self = this;
    var ctx = this.ctx;
    function update() {
      var running = ctx.state === "running";
      if (self.overlay) { self.overlay.hidden = running; }
      if (running) { self.pump(); }
    }
    function unlock() { ctx.resume().then(update, update); }
    ctx.onstatechange = update;
    UNLOCK_EVENTS.forEach(function (name) { document.addEventListener(name, unlock, true); });
    unlock();
    // A blocked resume() never settles: decide what to show after a moment.
    setTimeout(update, 400);
  };

  Speaker.prototype.offer = function (call) {
    var label = call.label + " -> " + call.number;
    var now = this.now();
    var result = this.queue.offer(call.clips, call.at_ms, now, label);
    this.counts[result.outcome] += 1;
    if (result.outcome === Queue.STALE) { this.dropped(result.item, now); }
    this.pump();
    return result.outcome;
  };

  Speaker.prototype.dropped = function (item, now) {
    console.warn("not announcing " + Queue.describe(item) + ": the call is " +
      Math.round((now - item.atMs) / 1000) + " s old, over the " +
      Math.round(this.queue.maxAgeMs / 1000) + " s limit");
  };

  Speaker.prototype.pump = function () {
    if (this.busy || !this.ctx || this.ctx.state !== "running") { return; }
    var now = this.now();
    var next = this.queue.take(now);
    for (var i = 0; i < next.dropped.length; i++) {
      this.counts.stale += 1;
      this.dropped(next.dropped[i], now);
    }
    if (!next.item) { return; }
    this.busy = true;
    var self = this;
    var item = next.item;
    this.load(item.clips).then(function (buffers) {
      self.play(self.join(buffers));
    }).catch(function (err) {
      self.counts.failed += 1;
      console.error("announcement failed: " + Queue.describe(item) + ": " + err);
      self.done();
    });
  };

  Speaker.prototype.play = function (buffer) {
    var self = this;
    var source = this.ctx.createBufferSource();
    var finished = false;
    function end() {
      if (finished) { return; }
      finished = true;
      self.counts.played += 1;
      self.done();
    }
    source.buffer = buffer;
    source.connect(this.ctx.destination);
    source.onended = end;
    source.start();
    setTimeout(end, buffer.duration * 1000 + WATCHDOG_MS);
  };

  Speaker.prototype.done = function () {
    this.busy = false;
    this.pump();
  };

  Speaker.prototype.load = function (clips) {
    var self = this;
    return Promise.all(clips.map(function (name) { return self.clip(name); }));
  };

  Speaker.prototype.clip = function (name) {
    var self = this;
    if (!this.buffers[name]) {
      this.buffers[name] = fetch(this.base + encodeURIComponent(name) + ".wav")
        .then(function (r) {
          if (!r.ok) { throw new Error(name + ".wav: HTTP " + r.status); }
          return r.arrayBuffer();
        })
        .then(function (data) {
          // The callback form also works where decodeAudioData returns no promise.
          return new Promise(function (resolve, reject) {
            self.ctx.decodeAudioData(data, resolve, reject);
          });
        });
      this.buffers[name].catch(function () { delete self.buffers[name]; });  // retry next time
    }
    return this.buffers[name];
  };

  // One buffer for the whole announcement: sample-exact joins, one source node.
  Speaker.prototype.join = function (buffers) {
    var total = 0;
    buffers.forEach(function (b) { total += b.length; });
    var out = this.ctx.createBuffer(1, Math.max(1, total), this.ctx.sampleRate);
    var data = out.getChannelData(0);
    var offset = 0;
    buffers.forEach(function (b) {
      data.set(b.getChannelData(0), offset);  // clips are mono (sounds/README.md)
      offset += b.length;
    });
    return out;
  };

  window.LoketSpeaker = Speaker;
})();
