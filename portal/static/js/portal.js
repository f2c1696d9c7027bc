// Từng Nhà: the little the pages need beyond htmx. No inline scripts anywhere (CSP).
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-print]");
  if (target) {
    event.preventDefault();
    window.print();
  }
});

// A request that fails says so, in the page's language, with a way to send it again: no
// network, no answer in time, a server fault, a session that ended, a request refused (a
// conflict, a body too large): the page then needs loading again. The texts come from the
// page (#net-status's data-*), so they are the catalogue's. Sending a visit's form again is
// safe: it carries its client id, and the server saves a knock once.
(function () {
  var failed = null;

  function banner() {
    return document.getElementById("net-status");
  }

  function say(kind, elt, status) {
    var box = banner();
    if (!box) return;
    failed = elt;
    var text = box.dataset[kind] || box.dataset.server;
    box.querySelector(".net-text").textContent = status ? text + " (" + status + ")" : text;
    box.querySelector(".net-retry").hidden = kind === "login" || kind === "refused";
    box.querySelector(".net-login").hidden = kind !== "login";
    box.querySelector(".net-reload").hidden = kind !== "refused";
    box.hidden = false;
  }

  function quiet() {
    var box = banner();
    if (box) box.hidden = true;
    failed = null;
  }

  function retry() {
    var elt = failed;
    quiet();
    if (!elt || !document.body.contains(elt)) {
      window.location.reload();
      return;
    }
    if (elt.tagName === "FORM") {
      elt.requestSubmit();
    } else {
      var trigger = (elt.getAttribute("hx-trigger") || "click").split(/[\s,]/)[0];
      htmx.trigger(elt, trigger);
    }
  }

  document.addEventListener("htmx:sendError", function (event) {
    say(navigator.onLine === false ? "offline" : "unreachable", event.detail.elt);
  });
  document.addEventListener("htmx:timeout", function (event) {
    say("timeout", event.detail.elt);
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 401) say("login", event.detail.elt);
    else if (status >= 500) say("server", event.detail.elt, status);
    else say("refused", event.detail.elt, status);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) quiet();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("#net-status .net-retry")) {
      event.preventDefault();
      retry();
    } else if (event.target.closest("#net-status .net-reload")) {
      event.preventDefault();
      window.location.reload();
    } else if (event.target.closest("#net-status .net-close")) {
      event.preventDefault();
      quiet();
    }
  });
})();
