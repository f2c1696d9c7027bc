// Từng Nhà: what a phone keeps for its user (IndexedDB), shared by the pages and the service
// worker. Three stores: "meta" (whose phone this is now), "copies" (a hamlet's copy, made by
// the portal for the user it belongs to) and "outbox" (visits recorded here that wait to be
// sent, or that the portal refused, each under its author and its client id).
//
// No library: the few calls below are all the portal needs of IndexedDB.
(function (scope) {
  "use strict";

  var NAME = "tungnha";
  var VERSION = 1;
  var BATCH = 50;
  var opened = null;

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function open() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var req = scope.indexedDB.open(NAME, VERSION);
        req.onupgradeneeded = function () {
          var db = req.result;
          db.createObjectStore("meta", { keyPath: "key" });
          db.createObjectStore("copies", { keyPath: "hamlet" });
          db.createObjectStore("outbox", { keyPath: "client_uuid" }).createIndex("user", "user");
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { opened = null; reject(req.error); };
      });
    }
    return opened;
  }

  function withStore(name, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result;
        Promise.resolve(work(tx.objectStore(name))).then(function (value) { result = value; });
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function all(name) {
    return withStore(name, "readonly", function (store) { return request(store.getAll()); });
  }
  function get(name, key) {
    return withStore(name, "readonly", function (store) { return request(store.get(key)); });
  }
  function put(name, value) {
    return withStore(name, "readwrite", function (store) { return request(store.put(value)); });
  }
  function remove(name, key) {
    return withStore(name, "readwrite", function (store) { return request(store.delete(key)); });
  }

  // Whose phone this is now: the user of the last page the portal served here.
  function current() {
    return get("meta", "current").then(function (row) { return row ? row.user : null; });
  }

  // A page of another user (or none, after a logout): every copy goes, and the shell page
  // kept for drawing them. Visits still waiting stay, under their author, never shown to
  // anyone else and sent only with their author's session.
  // One transaction over "meta" and "copies": two pages opening at once cannot interleave.
  function claim(user) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(["meta", "copies"], "readwrite");
        var changed = false;
        var meta = tx.objectStore("meta");
        meta.get("current").onsuccess = function (event) {
          var row = event.target.result;
          var owner = row ? row.user : null;
          if (owner === user) return;
          changed = true;
          tx.objectStore("copies").clear();
          if (user === null) meta.delete("current");
          else meta.put({ key: "current", user: user });
        };
        tx.oncomplete = function () {
          var caches = scope.caches;
          if (changed && caches) caches.delete("tungnha-user").then(function () { resolve(true); });
          else resolve(changed);
        };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  // Logging out: this user's copies, their outbox and the record that the phone is theirs.
  function forget(user) {
    return mine(user).then(function (entries) {
      return withStore("outbox", "readwrite", function (store) {
        entries.forEach(function (e) { store.delete(e.client_uuid); });
      });
    }).then(function () { return claim(null); });
  }

  function mine(user) {
    return withStore("outbox", "readonly", function (store) {
      return request(store.index("user").getAll(user));
    }).then(function (entries) {
      return entries.sort(function (a, b) { return a.recorded_at < b.recorded_at ? -1 : 1; });
    });
  }

  // A copy older than `hours` is gone: the phone keeps people's details a day, not longer.
  function copies(user, hours) {
    return all("copies").then(function (rows) {
      var limit = Date.now() - hours * 3600 * 1000;
      var kept = [];
      var stale = [];
      rows.forEach(function (row) {
        (row.user === user && row.fetched_at >= limit ? kept : stale).push(row);
      });
      return Promise.all(stale.map(function (row) { return remove("copies", row.hamlet); }))
        .then(function () { return kept; });
    });
  }

  function uuid() {
    if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID();
    var b = scope.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  // A visit form, as the outbox keeps it: every field but the CSRF token (the send uses the
  // token of the session it goes with).
  function entryFrom(formData, facts) {
    var form = {};
    formData.forEach(function (value, name) {
      if (name !== "csrf_token") form[name] = String(value);
    });
    return {
      client_uuid: form.client_uuid,
      user: facts.user,
      resident_id: facts.resident_id,
      hamlet_id: facts.hamlet_id || null,
      name: facts.name || "",
      outcome: form.outcome,
      form: form,
      recorded_at: new Date().toISOString(),
      state: "waiting",
      message: null,
    };
  }

  // Kept at once: one transaction, its one request asked and its commit asked in the same
  // turn, so that a screener who taps and goes straight on to the next house (the page left,
  // or frozen in the back-forward cache) does not leave it unwritten. A client id already
  // kept (the same form kept twice) stays as it was.
  function enqueue(entry) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("outbox", "readwrite");
        var req = tx.objectStore("outbox").add(entry);
        req.onerror = function (event) {
          if (req.error && req.error.name === "ConstraintError") event.preventDefault();
        };
        if (tx.commit) tx.commit();
        tx.oncomplete = function () { resolve(entry); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function locked(work) {
    var locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request("tungnha-outbox", work) : work();
  }

  function timed(url, options, ms) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, ms);
    options.signal = controller.signal;
    options.credentials = "same-origin";
    return fetch(url, options).finally(function () { clearTimeout(timer); });
  }

  // Send what waits, in batches, with the session logged in now and as its author only. The
  // portal answers for each: saved (or saved before: the same client id) leaves the outbox,
  // refused stays with its reason. No answer, nothing changes: the next send asks again and
  // the portal saves each client id once.
  function flush() {
    return locked(function () {
      return timed("/offline/session", { headers: { Accept: "application/json" }, cache: "no-store" },
                   15000).then(function (answer) {
        if (answer.status === 401 || answer.redirected) return { login: true, sent: 0, refused: 0 };
        if (!answer.ok) return { failed: answer.status, sent: 0, refused: 0 };
        return answer.json().then(function (session) {
          return mine(session.user).then(function (entries) {
            return sendAll(session, entries.filter(function (e) { return e.state === "waiting"; }));
          });
        });
      }).catch(function () { return { failed: "network", sent: 0, refused: 0 }; });
    });
  }

  function sendAll(session, entries) {
    var outcome = { sent: 0, refused: 0 };
    function next(start) {
      var chunk = entries.slice(start, start + BATCH);
      if (!chunk.length) return Promise.resolve(outcome);
      return timed("/visits/batch", {
        method: "POST",
        cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json",
                   "X-CSRFToken": session.csrf },
        body: JSON.stringify({ visits: chunk.map(function (e) {
          return { client_uuid: e.client_uuid, resident_id: e.resident_id,
                   recorded_at: e.recorded_at, form: e.form };
        }) }),
      }, 30000).then(function (answer) {
        if (!answer.ok) {
          outcome.failed = answer.status;
          if (answer.status === 401) outcome.login = true;
          return outcome;
        }
        return answer.json().then(function (body) {
          var byId = {};
          chunk.forEach(function (e) { byId[e.client_uuid] = e; });
          return Promise.all(body.results.map(function (result) {
            var entry = byId[result.client_uuid];
            if (!entry) return null;
            if (result.status === "saved" || result.status === "saved_before") {
              outcome.sent += 1;
              return remove("outbox", entry.client_uuid);
            }
            if (result.status === "failed") {  // the portal's fault: it waits, and goes again
              entry.message = result.message;
              return put("outbox", entry);
            }
            outcome.refused += 1;
            entry.state = "refused";
            entry.message = result.message;
            return put("outbox", entry);
          })).then(function () { return next(start + BATCH); });
        });
      });
    }
    return next(0);
  }

  // Undo of a visit not yet sent: it leaves the outbox (after a send under way has ended).
  // False when it was sent meanwhile: the portal's own Undo takes it back then.
  function discard(clientUuid) {
    return locked(function () {
      return get("outbox", clientUuid).then(function (entry) {
        if (!entry) return false;
        return remove("outbox", clientUuid).then(function () { return true; });
      });
    });
  }

  scope.TungNha = {
    all: all, get: get, put: put, remove: remove, current: current, claim: claim,
    forget: forget, mine: mine, copies: copies, uuid: uuid,
    entryFrom: entryFrom, enqueue: enqueue, flush: flush, discard: discard,
  };
})(self);
