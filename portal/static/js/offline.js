// Từng Nhà's shell: the walk, a hamlet, a card, the follow-up lists and the outbox, drawn from
// the copy the phone keeps of its user's hamlets (portal/visits/offline.py says its shape).
// Nothing here decides where anyone stands: the copy says it, as the portal computed it.
(function () {
  "use strict";
  var app = document.getElementById("offline-app");
  var page = window.TungNhaPage;
  var store = window.TungNha;
  if (!app || !page || !store) return;
  var t = app.dataset;
  var labels = JSON.parse(document.getElementById("offline-labels").textContent);
  var el = page.el;
  var user = page.user;

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }
  function link(href, text, css) { return el("a", { href: href, class: css || "", text: text }); }

  function ago(iso) {
    var minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
    return minutes < 60 ? fmt(t.minutes, { n: minutes }) : fmt(t.hoursAgo, { n: Math.floor(minutes / 60) });
  }

  function copyLine(copy) {
    return el("p", { class: "copy-age muted", text: fmt(t.copyAt, { time: page.when(copy.made_at), age: ago(copy.made_at) }) });
  }

  function needsVisit(copy, person) {
    return person[8].some(function (standing) { return copy.needs_visit.indexOf(standing) >= 0; });
  }

  function draw(nodes) {
    app.textContent = "";
    var path = window.location.pathname;
    if (path !== "/outbox" || navigator.onLine === false) {
      app.appendChild(el("p", { class: "alert offline-note", role: "status", text: t.offline }));
    }
    nodes.forEach(function (node) { if (node) app.appendChild(node); });
    page.refresh();
  }

  function hamlets(copies) {
    if (!copies.length) return draw([el("p", { text: t.noCopy })]);
    var list = el("ul", { class: "hamlet-cards" });
    copies.forEach(function (row) {
      var copy = row.data;
      var waiting = copy.people.filter(function (p) { return needsVisit(copy, p); }).length;
      list.appendChild(el("li", { class: "card" }, [
        link("/walk/" + copy.hamlet.id, copy.hamlet.name, "hamlet-link"),
        el("p", { class: "muted", text: fmt(t.toVisit, { n: waiting, total: copy.people.length }) }),
        copyLine(copy),
      ]));
    });
    draw([el("h1", { text: t.hamlets }), list]);
  }

  function needChips(copy, person) {
    var chips = el("p", { class: "needs" });
    copy.campaigns.forEach(function (campaign, i) {
      var standing = person[8][i];
      if (!standing) return;
      if (person[10][i]) {
        var dose = person[9][i] ? " · " + labels.dose[person[9][i]] : "";
        chips.appendChild(el("span", { class: "chip need s-" + standing, title: campaign[1],
                                       text: labels.standing[standing] + dose + " · " + campaign[1] }));
      }
    });
    if (!chips.childNodes.length) {
      var settled = person[8].filter(Boolean)[0] || "not_targeted";
      chips.appendChild(el("span", { class: "badge s-" + settled, text: labels.standing[settled] }));
    }
    return chips;
  }

  function hamlet(copy) {
    var groups = copy.households.map(function (h) { return { household: h, people: [] }; });
    var loose = { household: null, people: [] };
    copy.people.forEach(function (p) { (p[1] >= 0 ? groups[p[1]] : loose).people.push(p); });
    groups.push(loose);
    groups = groups.filter(function (g) { return g.people.length; });
    groups.forEach(function (g) {
      g.toVisit = g.people.filter(function (p) { return needsVisit(copy, p); }).length;
      g.people.sort(function (a, b) { return (needsVisit(copy, b) - needsVisit(copy, a)) || 0; });
    });
    groups.sort(function (a, b) { return (b.toVisit > 0) - (a.toVisit > 0); });
    var total = groups.reduce(function (n, g) { return n + g.toVisit; }, 0);
    var nodes = [
      el("p", { class: "crumbs" }, [link("/walk", "← " + t.backWalk)]),
      el("h1", { text: copy.hamlet.name }),
      copyLine(copy),
      el("p", { class: "summary", text: fmt(t.toVisit, { n: total, total: copy.people.length }) }),
    ];
    groups.forEach(function (g) {
      var h = g.household;
      var people = el("ul", { class: "people" });
      g.people.forEach(function (p) {
        people.appendChild(el("li", { "data-resident-row": String(p[0]) }, [
          el("a", { class: "person-row", href: "/residents/" + p[0] }, [
            el("span", { class: "name", text: p[2] }),
            el("small", { text: p[4] + " · " + (p[3] === "f" ? t.female : t.male) }),
          ]),
          needChips(copy, p),
        ]));
      });
      nodes.push(el("article", { class: "card household" }, [
        el("h2", { text: h ? h[1] + " · " + h[2] : t.noHousehold }), people,
      ]));
    });
    draw(nodes);
  }

  function find(copies, id) {
    for (var i = 0; i < copies.length; i++) {
      var people = copies[i].data.people;
      for (var j = 0; j < people.length; j++) {
        if (people[j][0] === id) return { copy: copies[i].data, person: people[j] };
      }
    }
    return null;
  }

  function forms(copy, person) {
    var wanted = copy.campaigns.filter(function (c, i) { return person[10][i]; })
      .map(function (c) { return String(c[0]); });
    if (!wanted.length) return null;
    var box = el("div", { class: "offline-forms" });
    box.appendChild(document.getElementById("offline-forms").content.cloneNode(true));
    box.querySelectorAll("form").forEach(function (form) {
      ["hx-post", "hx-target", "hx-swap", "hx-disabled-elt"].forEach(function (a) { form.removeAttribute(a); });
      form.setAttribute("action", "/residents/" + person[0] + "/visits");
      form.querySelector("input[name=campaign_ids]").value = wanted.join(",");
      form.querySelector("input[name=client_uuid]").value = store.uuid();
      form.querySelectorAll("select[name^=outcome_]").forEach(function (select) {
        if (wanted.indexOf(select.name.slice(8)) < 0) select.closest(".field").remove();
      });
    });
    if (wanted.length < 2) {
      var each = box.querySelector(".per-campaign");
      if (each) each.remove();
    }
    return box;
  }

  function card(copies, id) {
    var found = find(copies, id);
    if (!found) return draw([el("p", { text: t.noCopy })]);
    var copy = found.copy;
    var p = found.person;
    var household = p[1] >= 0 ? copy.households[p[1]] : null;
    var facts = el("dl", { class: "facts" });
    if (p[7]) {
      facts.appendChild(el("dt", { text: t.phone }));
      facts.appendChild(el("dd", {}, [link("tel:" + p[7], p[7])]));
    }
    if (household) {
      facts.appendChild(el("dt", { text: t.household }));
      facts.appendChild(el("dd", { text: household[1] + " · " + household[2] }));
    }
    var flags = el("p", { class: "flags" });
    [["c", t.chronic], ["i", t.immunocompromised], ["p", t.pregnant]].forEach(function (f) {
      if (p[6].indexOf(f[0]) >= 0) flags.appendChild(el("span", { class: "chip", text: f[1] }));
    });
    var doses = el("ul", { class: "doses" });
    p[12].forEach(function (d) {
      doses.appendChild(el("li", {}, [el("strong", { text: labels.dose[d[0]] }),
                                      document.createTextNode(" · " + (d[1] || t.notRecorded))]));
    });
    if (!p[12].length) doses.appendChild(el("li", { class: "muted", text: t.noDose }));
    var standings = el("ul", { class: "standings" });
    copy.campaigns.forEach(function (c, i) {
      var s = p[8][i];
      if (!s) return;
      standings.appendChild(el("li", {}, [
        el("span", { class: "campaign-name", text: c[1] }),
        el("span", { class: "badge s-" + s, text: labels.standing[s] }),
        p[9][i] ? el("small", { class: "next-dose", text: t.needs + ": " + labels.dose[p[9][i]] }) : null,
        p[11][i] ? el("small", { text: " " + t.until + " " + p[11][i] }) : null,
      ]));
    });
    var record = el("section", { id: "record", class: "card", "data-resident": String(p[0]),
                                 "data-hamlet": String(copy.hamlet.id), "data-name": p[2] }, [
      el("h2", { text: t.campaigns }),
      standings.childNodes.length ? standings : el("p", { class: "muted", text: t.notTargeted }),
    ]);
    var outcomes = forms(copy, p);
    if (outcomes) {
      record.appendChild(el("h2", { text: t.what }));
      record.appendChild(outcomes);
    }
    draw([
      el("p", { class: "crumbs" }, [link("/walk/" + copy.hamlet.id, "← " + copy.hamlet.name)]),
      el("section", { class: "card person" }, [
        el("h1", { text: p[2] }),
        el("p", { text: (p[3] === "f" ? t.female : t.male) + " · " + fmt(t.years, { age: p[5] }) +
                         " · " + t.born + " " + p[4] }),
        copyLine(copy), facts, flags, el("h2", { text: t.doses }), doses,
      ]),
      record,
    ]);
  }

  function followUp(copies, kind) {
    var tabs = el("p", { class: "tabs" });
    Object.keys(labels.follow_up).forEach(function (k) {
      tabs.appendChild(link("/follow-up/" + k, labels.follow_up[k], k === kind ? "button primary" : "button"));
    });
    var rows = el("ul", { class: "people" });
    copies.forEach(function (row) {
      var copy = row.data;
      var wanted = copy.lists[kind] || [];
      copy.people.forEach(function (p) {
        copy.campaigns.forEach(function (c, i) {
          if (wanted.indexOf(p[8][i]) < 0) return;
          var h = p[1] >= 0 ? copy.households[p[1]] : null;
          rows.appendChild(el("li", { "data-resident-row": String(p[0]) }, [
            link("/residents/" + p[0], p[2], "person-row"),
            el("small", { text: copy.hamlet.name + (h ? " · " + h[1] : "") + " · " + c[1] + " · " +
                               labels.standing[p[8][i]] + (p[11][i] ? " " + t.until + " " + p[11][i] : "") }),
            p[7] ? el("p", {}, [link("tel:" + p[7], p[7])]) : null,
          ]));
        });
      });
    });
    draw([el("h1", { text: t.followUp + ": " + (labels.follow_up[kind] || kind) }), tabs,
          rows.childNodes.length ? rows : el("p", { class: "muted", text: t.nobody })]);
  }

  function outbox(copies) {
    store.mine(user).then(function (entries) {
      var list = el("ul", { class: "outbox-list" });
      entries.forEach(function (e) {
        var found = find(copies, e.resident_id);
        var name = e.name || (found ? found.person[2] : fmt(t.unknownPerson, { id: e.resident_id }));
        var item = el("li", { class: "card" }, [link("/residents/" + e.resident_id, name, "person-row")]);
        item.appendChild(page.notices([e]));
        list.appendChild(item);
      });
      var send = el("button", { type: "button", class: "primary block", text: t.sendNow });
      send.addEventListener("click", function () { page.send().then(route); });
      draw([el("h1", { text: t.outboxTitle }),
            entries.length ? list : el("p", { class: "muted", text: t.outboxEmpty }),
            entries.some(function (e) { return e.state === "waiting"; }) ? send : null]);
    });
  }

  // A visit recorded here goes to the outbox at once (the send follows when it can): the
  // forms carry a new client id each time, so two visits of one person are two.
  app.addEventListener("submit", function (event) {
    var form = event.target.closest("form.outcome");
    if (!form) return;
    event.preventDefault();
    event.stopPropagation();
    var ask = form.getAttribute("hx-confirm");
    if (ask && !window.confirm(ask)) return;
    var record = document.querySelector("#record[data-resident]");
    var entry = store.entryFrom(new FormData(form), {
      user: user, resident_id: Number(record.dataset.resident),
      hamlet_id: Number(record.dataset.hamlet), name: record.dataset.name,
    });
    store.enqueue(entry).then(function () {
      page.say(page.text("kept"));
      route();
      if (navigator.onLine !== false) page.send();
    });
  }, true);

  function route() {
    if (user === null) return draw([el("p", { text: t.noCopy })]);
    return store.copies(user, Number(t.hours)).then(function (copies) {
      var path = window.location.pathname;
      var m;
      if (path === "/" || path === "/walk" || path === "/offline/shell") return hamlets(copies);
      if ((m = path.match(/^\/walk\/(\d+)$/))) {
        var row = copies.filter(function (c) { return c.hamlet === Number(m[1]); })[0];
        return row ? hamlet(row.data) : draw([el("p", { text: t.noCopy })]);
      }
      if ((m = path.match(/^\/residents\/(\d+)$/))) return card(copies, Number(m[1]));
      if ((m = path.match(/^\/follow-up\/([a-z]+)$/))) return followUp(copies, m[1]);
      if (path === "/outbox") return outbox(copies);
      return draw([el("p", { text: t.needsNetwork }), link("/walk", t.hamlets, "button")]);
    });
  }

  document.addEventListener("tungnha:outbox", route);
  document.addEventListener("tungnha:ready", route);
  route();
})();
