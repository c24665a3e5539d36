// The supervisor's live view: after every record of the hub's event stream, fetch the
// fragment the hub renders and put it in place. Fetches never overlap: a burst of records
// ends in one more fetch, so the page always ends on the latest state.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var link = document.getElementById("link");
  if (!live || !window.EventSource) { return; }
  var busy = false, again = false;

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(live.dataset.src, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { keepTyping(function () { live.innerHTML = html; }); })
      .catch(function () { link.textContent = link.dataset.stale; })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  // A supervisor typing a ticket or a reason in a row's form must not lose it when the
  // fragment is replaced: carry the typed values and the focus over to the new rows.
  function keyOf(input) {
    var row = input.closest("tr[data-counter]");
    return (row ? row.dataset.counter : "") + "|" + input.form.className + "|" + input.name;
  }

  function keepTyping(replace) {
    var typed = {}, focused = null;
    live.querySelectorAll("form input:not([type=hidden])").forEach(function (i) {
      if (i.value) { typed[keyOf(i)] = i.value; }
      if (i === document.activeElement) { focused = keyOf(i); }
    });
    replace();
    live.querySelectorAll("form input:not([type=hidden])").forEach(function (i) {
      var k = keyOf(i);
      if (typed[k] !== undefined) { i.value = typed[k]; }
      if (k === focused) { i.focus(); }
    });
  }

  var stream = new EventSource(live.dataset.stream);
  stream.addEventListener("hello", function () { link.textContent = link.dataset.live; refresh(); });
  stream.addEventListener("record", refresh);
  stream.onerror = function () { link.textContent = link.dataset.stale; };
}());
