// The page script of the Werkagenda-assistent (loaded in <head>; Gradio renders the page later).
//  - keeps lang="nl" (Gradio's template sets "en"),
//  - one persistent live region: one announcement per finished answer or status, never fragments,
//  - the chat: aria-busy while an answer streams in, the newest answer's first line scrolled into view,
//    [n] opens that answer's own source card in place, "Terug naar het antwoord" returns to the [n],
//  - buttons inside the chat HTML (suggested questions, feedback, filter chips) reach the server
//    through one hidden text box and two hidden buttons,
//  - the ARIA tabs pattern: arrow keys, Home/End, aria-controls.
(function () {
  "use strict";
  var root = document.documentElement;
  root.setAttribute("lang", "nl");
  new MutationObserver(function () {
    if (root.getAttribute("lang") !== "nl") root.setAttribute("lang", "nl");
  }).observe(root, { attributes: true, attributeFilter: ["lang"] });

  // -- one live region ------------------------------------------------------------------------
  var live = null, seen = {};
  function announce() {
    if (!document.body) return;
    if (!live) {
      live = document.createElement("div");
      live.id = "wa-live";
      live.className = "wa-sr";
      live.setAttribute("role", "status");
      live.setAttribute("aria-live", "polite");
      document.body.appendChild(live);
    }
    Array.prototype.forEach.call(document.querySelectorAll(".wa-status"), function (el) {
      var owner = el.closest("[id]"), key = owner ? owner.id : "", text = el.textContent.trim();
      if (seen[key] === text) return;
      seen[key] = text;
      // "bezig" lines are shown, not spoken: the finished answer is announced once.
      if (text && el.getAttribute("data-live") !== "off") live.textContent = text;
    });
  }

  // -- the chat log -----------------------------------------------------------------------------
  var openCards = {}, lastDone = "";
  function chatBox() { return document.getElementById("gesprek"); }
  // aria-busy follows every render at once (not on the next frame: a fast answer would skip "true")
  function syncBusy(box, log) {
    var phase = log.getAttribute("data-fase") || "";
    var busy = phase === "bezig" ? "true" : "false";
    if (box.getAttribute("aria-busy") !== busy) box.setAttribute("aria-busy", busy);
    return phase;
  }
  function syncChat() {
    var box = chatBox();
    if (!box) return;
    if (!box.hasAttribute("role")) {
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", "Gesprek");
    }
    var log = box.querySelector(".wa-log");
    if (!log) return;
    var phase = syncBusy(box, log);
    // a re-render closes every card; reopen the ones the reader had opened
    Object.keys(openCards).forEach(function (id) {
      var card = document.getElementById(id);
      if (card && !card.open) card.open = true;
    });
    var newest = log.getAttribute("data-nieuw");
    if (!newest) return;
    if (phase === "bezig" || (phase === "klaar" && newest !== lastDone)) {
      var turn = document.getElementById(newest);
      if (turn) {
        // the first line of the new question and answer at the top of the log, not its end
        box.scrollTop = turn.offsetTop - box.offsetTop - 8;
        if (phase === "klaar") {
          lastDone = newest;
          var r = box.getBoundingClientRect();
          if (r.top < 0 || r.top > window.innerHeight * 0.6) box.scrollIntoView({ block: "start" });
        }
      }
    }
  }

  // -- tabs: the ARIA tabs pattern ----------------------------------------------------------------
  function syncTabs() {
    Array.prototype.forEach.call(document.querySelectorAll('[role="tablist"]'), function (list) {
      if (list.getAttribute("data-wa-tabs")) return;
      list.setAttribute("data-wa-tabs", "1");
      list.addEventListener("keydown", function (event) {
        var tabs = Array.prototype.filter.call(list.querySelectorAll('[role="tab"]'), function (t) {
          return t.offsetParent !== null && !t.disabled;
        });
        var i = tabs.indexOf(document.activeElement);
        if (i < 0) return;
        var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
        if (next === undefined) return;
        event.preventDefault();
        var tab = tabs[(next + tabs.length) % tabs.length];
        tab.focus();
        tab.click();
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll('[role="tab"]'), function (tab) {
      var selected = tab.getAttribute("aria-selected") === "true";
      var tabindex = selected ? "0" : "-1";
      if (tab.getAttribute("tabindex") !== tabindex) tab.setAttribute("tabindex", tabindex);
      // Gradio leaves aria-controls empty; our panels carry elem_id "paneel-<tab id>"
      var key = tab.getAttribute("data-tab-id"), panel = key && document.getElementById("paneel-" + key);
      if (key && tab.id !== "tab-" + key) tab.id = "tab-" + key;
      if (panel) {
        if (tab.getAttribute("aria-controls") !== panel.id) tab.setAttribute("aria-controls", panel.id);
        if (panel.getAttribute("aria-labelledby") !== tab.id) panel.setAttribute("aria-labelledby", tab.id);
        if (panel.getAttribute("role") !== "tabpanel") panel.setAttribute("role", "tabpanel");
      } else if (tab.hasAttribute("aria-controls")) {
        tab.removeAttribute("aria-controls");
      }
    });
  }

  // -- Dutch names for the few English labels Gradio puts on its own controls --------------------
  var DUTCH = { "Close": "Sluiten", "Clear": "Wissen", "Copy": "Kopiëren", "Download": "Downloaden",
    "Fullscreen": "Volledig scherm", "Exit fullscreen mode": "Volledig scherm sluiten", "Share": "Delen",
    "Show more": "Meer tonen", "More tabs": "Meer tabbladen", "Show more tabs": "Meer tabbladen tonen" };
  function dropEmptyIds() {
    Array.prototype.forEach.call(document.querySelectorAll('[id=""]'), function (el) { el.removeAttribute("id"); });
  }
  function dutchLabels() {
    Array.prototype.forEach.call(document.querySelectorAll("[aria-label],[title]"), function (el) {
      ["aria-label", "title"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v && DUTCH[v]) el.setAttribute(attr, DUTCH[v]);
      });
    });
  }

  var pending = false;
  function onChange() {
    var box = chatBox(), log = box && box.querySelector(".wa-log");
    if (log) syncBusy(box, log);
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      announce();
      syncChat();
      syncTabs();
      dutchLabels();
      dropEmptyIds();
    });
  }
  function watch() {
    onChange();
    new MutationObserver(onChange).observe(document.body, {
      childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["aria-selected"],
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch); else watch();

  document.addEventListener("toggle", function (event) {
    var card = event.target;
    if (!card.classList || !card.classList.contains("wa-bron")) return;
    if (card.open) openCards[card.id] = true; else delete openCards[card.id];
  }, true);

  // -- buttons and links inside our HTML ---------------------------------------------------------
  function send(buttonId, payload) {
    var field = document.querySelector("#wa-brug textarea, #wa-brug input");
    var button = document.getElementById(buttonId);
    if (!field || !button) return;
    field.value = JSON.stringify(payload);
    field.dispatchEvent(new Event("input", { bubbles: true }));
    setTimeout(function () { button.click(); }, 0);
  }
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-actie]");
    if (!el) return;
    var action = el.getAttribute("data-actie");
    if (action === "bron") {
      var card = document.getElementById(el.getAttribute("data-bron"));
      if (!card) return;
      event.preventDefault();
      card.open = true;
      openCards[card.id] = true;
      card.scrollIntoView({ behavior: "smooth", block: "nearest" });
      card.querySelector("summary").focus({ preventScroll: true });
      card.classList.add("wa-uitgelicht");
      setTimeout(function () { card.classList.remove("wa-uitgelicht"); }, 2500);
    } else if (action === "terug") {
      var id = el.getAttribute("data-bron"), answer = el.closest(".wa-antwoord");
      var back = answer && (answer.querySelector('a.wa-cite[data-bron="' + id + '"]') || answer);
      if (!back) return;
      event.preventDefault();
      back.scrollIntoView({ behavior: "smooth", block: "center" });
      back.focus({ preventScroll: true });
    } else if (action === "vraag") {
      send("wa-brug-vraag", { actie: "vraag", vraag: el.getAttribute("data-vraag") });
    } else if (action === "oordeel" || action === "toelichting") {
      var beurt = el.getAttribute("data-beurt");
      var box = document.getElementById("b" + beurt + "-toelichting");
      send("wa-brug-actie", { actie: action, beurt: Number(beurt), oordeel: el.getAttribute("data-oordeel"),
        toelichting: action === "toelichting" && box ? box.value : "" });
    } else if (action === "filter-weg") {
      send("wa-brug-actie", { actie: "filter-weg", filter: el.getAttribute("data-filter") });
      var input = document.querySelector("#vraag textarea");
      if (input) input.focus();
    }
  }, true);

  // -- downloads --------------------------------------------------------------------------------
  // The server sends the file's text ({naam, tekst, type} as JSON, made when the user clicks) and the
  // browser saves it: a conversation or CSV is never written to the server's disk (backend.Download).
  window.waDownload = function (payload) {
    if (!payload) return;
    var file;
    try { file = JSON.parse(payload); } catch (e) { return; }
    var blob = new Blob([file.tekst], { type: (file.type || "text/plain") + ";charset=utf-8" });
    var url = URL.createObjectURL(blob), a = document.createElement("a");
    a.href = url;
    a.download = file.naam || "werkagenda.txt";
    a.style.display = "none";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
  };
})();
