// The hall's one scheduling rule, transcribed line by line from core/announce_queue.py
// (read the reasons there). The hub gives the limit; tests run the same case table
// (tests/announce_queue_cases.json) through both, so keep the two in step.
(function () {
  "use strict";

  var QUEUED = "queued", COLLAPSED = "collapsed", STALE = "stale";

  function sameClips(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }

  function describe(item) { return item.label || item.clips.join(" "); }

  function AnnounceQueue(maxAgeMs) {
    if (typeof maxAgeMs !== "number" || !(maxAgeMs > 0) || Math.floor(maxAgeMs) !== maxAgeMs) {
      throw new Error("max_age_ms must be a positive int, got " + maxAgeMs);
    }
    this.maxAgeMs = maxAgeMs;
    this.pending = [];
  }

  // -> {outcome, item}
  AnnounceQueue.prototype.offer = function (clips, atMs, nowMs, label) {
    var item = { clips: clips.slice(), atMs: atMs, label: label || "" };
    if (nowMs - item.atMs > this.maxAgeMs) { return { outcome: STALE, item: item }; }
    for (var i = 0; i < this.pending.length; i++) {
      var waiting = this.pending[i];
      if (sameClips(waiting.clips, item.clips)) {
        if (item.atMs > waiting.atMs) { waiting.atMs = item.atMs; }
        return { outcome: COLLAPSED, item: waiting };
      }
    }
    this.pending.push(item);
    return { outcome: QUEUED, item: item };
  };

  // -> {item: next to say or null, dropped: [items too old]}
  AnnounceQueue.prototype.take = function (nowMs) {
    var dropped = [];
    while (this.pending.length) {
      var item = this.pending.shift();
      if (nowMs - item.atMs > this.maxAgeMs) { dropped.push(item); continue; }
      return { item: item, dropped: dropped };
    }
    return { item: null, dropped: dropped };
  };

  AnnounceQueue.QUEUED = QUEUED;
  AnnounceQueue.COLLAPSED = COLLAPSED;
  AnnounceQueue.STALE = STALE;
  AnnounceQueue.describe = describe;
  window.LoketAnnounceQueue = AnnounceQueue;
})();
