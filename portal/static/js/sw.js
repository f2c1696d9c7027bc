// Từng Nhà's service worker. The portal serves it at /sw.js with SETTINGS (its version, the
// assets to keep, the shell's and the welcome page's addresses) written above this line.
//
// Pages come from the network whenever it answers; with no network, or none in NAVIGATION_WAIT,
// the walk, a hamlet, a card, the follow-up lists and the outbox are drawn by the shell page
// from the phone's copy (offline.js). The shell is kept per user (the "tungnha-user" cache,
// emptied at logout or when another user logs in); the assets and the welcome page, which hold
// nobody's data, are kept per version. Visits waiting in the outbox are sent from here too,
// when the browser says the network is back (Background Sync) or a page asks.
/* global SETTINGS, TungNha */
"use strict";

importScripts(SETTINGS.assets.filter(function (a) { return /outbox\.js$/.test(a); })[0]);

var ASSETS = "tungnha-assets-" + SETTINGS.version;
var USER = "tungnha-user";
var NAVIGATION_WAIT = 10000;
// Pages the shell can draw from the copy; any other page offline says it needs the network.
var OFFLINE_PAGES = /^\/($|walk(\/\d+)?$|residents\/\d+$|follow-up\/[a-z]+$|outbox$)/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(ASSETS).then(function (cache) {
    return cache.addAll(SETTINGS.assets.concat([SETTINGS.welcome]));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("tungnha-assets-") === 0 && name !== ASSETS;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromNetwork(request, wait) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, wait);
    fetch(request).then(function (answer) {
      clearTimeout(timer);
      resolve(answer);
    }, function (error) {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function offlinePage(url) {
  var path = new URL(url).pathname;
  var page = OFFLINE_PAGES.test(path)
    ? caches.open(USER).then(function (cache) { return cache.match(SETTINGS.shell); })
    : Promise.resolve(null);
  return page.then(function (shell) {
    return shell || caches.open(ASSETS).then(function (cache) {
      return cache.match(SETTINGS.welcome);
    });
  }).then(function (answer) { return answer || Response.error(); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fromNetwork(request, NAVIGATION_WAIT).catch(function () {
      return offlinePage(request.url);
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(ASSETS).then(function (cache) {
      return cache.match(request, { ignoreSearch: true }).then(function (kept) {
        return kept || fetch(request);
      });
    }));
  }
});

function tell(message) {
  return self.clients.matchAll({ type: "window" }).then(function (windows) {
    windows.forEach(function (client) { client.postMessage(message); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "tungnha-outbox") {
    event.waitUntil(TungNha.flush().then(function (result) {
      return tell({ type: "outbox-sent", result: result }).then(function () {
        // Still no network: the browser is told to try again later.
        if (result.failed === "network") throw new Error("not sent");
      });
    }));
  }
});
