// Selecting photos in a grid to act on them together (templates/_photo_grid.html). Without
// this file the grid is what it always was: its Select button and bar stay hidden.
//
// "Select" enters select mode: a click, or Space or Enter on a focused photo, toggles it
// instead of opening it; Shift with either selects the range from the last photo toggled;
// Ctrl+A (Cmd+A) selects every photo loaded; Esc leaves. The bar says how many are selected
// and sends an action for all of them to POST /api/v1/photos/bulk (the server decides each
// photo), then says what happened; Download (to /downloads) and Remove from album (to the
// album) are plain forms posted with the selected ids.
(function () {
  "use strict";

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $$(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  // The double-submit token the server set for this session (upload.js sends it the same way).
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function tiles(grid) { return $$(".grid-item[data-photo-id]", $(".grid", grid)); }
  function link(tile) { return $("a", tile); }
  function idOf(tile) { return Number(tile.getAttribute("data-photo-id")); }

  var state = typeof WeakMap === "function" ? new WeakMap() : null;
  function stateOf(grid) {
    var found = state.get(grid);
    if (!found) {
      found = { on: false, selected: {}, anchor: null };
      state.set(grid, found);
    }
    return found;
  }
  function selecting(grid) { return !!grid && !!state && stateOf(grid).on; }
  function selectedIds(grid) {
    var chosen = stateOf(grid).selected;
    return tiles(grid).map(idOf).filter(function (id) { return chosen[id]; });
  }

  function show(grid, tile) {
    var on = !!stateOf(grid).selected[idOf(tile)];
    tile.classList.toggle("selected", on);
    var a = link(tile);
    if (!a) return;
    if (selecting(grid)) {
      a.setAttribute("role", "checkbox");
      a.setAttribute("aria-checked", on ? "true" : "false");
    } else {
      a.removeAttribute("role");
      a.removeAttribute("aria-checked");
    }
  }

  function refresh(grid) {
    tiles(grid).forEach(function (tile) { show(grid, tile); });
    var count = selectedIds(grid).length;
    var bar = $("[data-select-bar]", grid);
    $("[data-select-count]", bar).textContent = count + " selected";
    $$("[data-bulk], [data-select-ids] button", bar).forEach(function (button) {
      button.disabled = count === 0;
    });
  }

  function say(grid, text) { $("[data-select-status]", grid).textContent = text; }

  function enter(grid) {
    var s = stateOf(grid);
    s.on = true;
    s.selected = {};
    s.anchor = null;
    grid.classList.add("selecting");
    $("[data-select-toggle]", grid).setAttribute("aria-pressed", "true");
    $("[data-select-bar]", grid).hidden = false;
    say(grid, "");
    refresh(grid);
  }

  function leave(grid) {
    var s = stateOf(grid);
    s.on = false;
    s.selected = {};
    grid.classList.remove("selecting");
    $("[data-select-bar]", grid).hidden = true;
    refresh(grid);
    var toggle = $("[data-select-toggle]", grid);
    toggle.setAttribute("aria-pressed", "false");
    toggle.focus();
  }

  function toggle(grid, tile, range) {
    var s = stateOf(grid);
    var all = tiles(grid);
    var at = all.indexOf(tile);
    var from = s.anchor === null ? -1 : all.indexOf(s.anchor);
    if (range && from >= 0) {
      var low = Math.min(from, at), high = Math.max(from, at);
      for (var i = low; i <= high; i++) s.selected[idOf(all[i])] = true;
    } else {
      s.selected[idOf(tile)] = !s.selected[idOf(tile)];
    }
    s.anchor = tile;
    refresh(grid);
  }

  function selectAll(grid) {
    var s = stateOf(grid);
    tiles(grid).forEach(function (tile) { s.selected[idOf(tile)] = true; });
    refresh(grid);
  }

  // --- Acting on the selection -------------------------------------------------------------
  function send(ids, action, params) {
    var body = { photo_ids: ids, action: action };
    Object.keys(params).forEach(function (name) { body[name] = params[name]; });
    return fetch("/api/v1/photos/bulk", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrftoken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) throw new Error(answer.detail || "The archive did not answer (" + response.status + ").");
        return answer;
      });
    });
  }

  function act(grid, button) {
    var bar = $("[data-select-bar]", grid);
    var action = button.getAttribute("data-bulk");
    var params = JSON.parse(button.getAttribute("data-bulk-params") || "{}");
    if (action === "add_to_album") params = { album_id: Number($("[data-bulk-album]", bar).value) };
    var ids = selectedIds(grid);
    var question = button.getAttribute("data-bulk-confirm");
    if (question && !window.confirm(question.replace("N photos", ids.length === 1 ? "1 photo" : ids.length + " photos"))) return;
    var most = Number(bar.getAttribute("data-max")) || ids.length;
    var batches = [];
    for (var i = 0; i < ids.length; i += most) batches.push(ids.slice(i, i + most));
    var done = [], failed = [];
    button.setAttribute("aria-busy", "true");
    say(grid, "Working on " + ids.length + "…");
    // One request after another: the server takes a bounded number of ids at a time.
    var stopped = false;
    batches.reduce(function (before, batch) {
      return before.then(function () {
        // The archive's own trouble (a 5xx) stopped the action: the rest wait for a retry.
        if (stopped) { failed = failed.concat(batch.map(function (id) { return { id: id, status: 503, detail: "" }; })); return; }
        return send(batch, action, params).then(function (answer) {
          done = done.concat(answer.done || []);
          failed = failed.concat(answer.failed || []);
          stopped = (answer.failed || []).some(function (f) { return f.status >= 500; });
        });
      });
    }, Promise.resolve()).then(function () {
      finish(grid, button, params, done, failed);
    }).catch(function (error) {
      if (done.length || failed.length) finish(grid, button, params, done, failed);
      say(grid, error.message);
    }).then(function () { button.removeAttribute("aria-busy"); });
  }

  // The lock badge of the photos whose visibility changed, as the server would render them.
  function markPrivate(grid, ids, on) {
    var badge = $("template[data-private-badge]", grid);
    ids.forEach(function (id) {
      var a = $(".grid-item[data-photo-id='" + id + "'] a", grid);
      if (!a || !badge) return;
      var shown = $(".private-badge", a);
      if (on && !shown) a.appendChild(badge.content.cloneNode(true));
      if (!on && shown) shown.remove();
    });
  }

  function finish(grid, button, params, done, failed) {
    var s = stateOf(grid);
    var action = button.getAttribute("data-bulk");
    var drops = (($("[data-select-bar]", grid).getAttribute("data-drops")) || "").split(" ");
    if (action === "set_visibility") markPrivate(grid, done, params.visibility === "private");
    if (drops.indexOf(action) >= 0) {
      // Those photos no longer belong in this list (an archived photo leaves a profile).
      done.forEach(function (id) {
        var tile = $(".grid-item[data-photo-id='" + id + "']", grid);
        if (tile) tile.remove();
        delete s.selected[id];
      });
      s.anchor = null;
    }
    refresh(grid);
    var text = done.length + " " + button.getAttribute("data-bulk-done");
    // The archive's own trouble first: it says why the rest were not done.
    var said = failed.filter(function (f) { return f.status >= 500 && f.detail; })[0] || failed[0];
    if (failed.length) text += ", " + failed.length + " failed (" + said.detail + ")";
    say(grid, text);
  }

  function withIds(grid, form) {
    $$("input[name='photo_ids']", form).forEach(function (input) { input.remove(); });
    selectedIds(grid).forEach(function (id) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "photo_ids";
      input.value = String(id);
      form.appendChild(input);
    });
  }

  // --- Events --------------------------------------------------------------------------------
  function gridOf(node) {
    return node instanceof Element ? node.closest("[data-select-grid]") : null;
  }
  function tileOf(node) {
    return node instanceof Element ? node.closest(".grid-item[data-photo-id]") : null;
  }

  // Capturing: in select mode a photo's link must not open the viewer (htmx) or navigate.
  document.addEventListener("click", function (event) {
    var grid = gridOf(event.target);
    if (!grid) return;
    var tile = tileOf(event.target);
    if (tile && selecting(grid)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      toggle(grid, tile, event.shiftKey);
      return;
    }
    if (event.target.closest("[data-select-toggle]")) {
      if (selecting(grid)) leave(grid); else enter(grid);
      return;
    }
    var button = event.target.closest("[data-bulk]");
    if (button && !button.disabled && !button.hasAttribute("aria-busy")) act(grid, button);
  }, true);

  document.addEventListener("submit", function (event) {
    var grid = gridOf(event.target);
    if (!grid || !event.target.matches("[data-select-ids]")) return;
    if (!selectedIds(grid).length) { event.preventDefault(); return; }
    withIds(grid, event.target);
  });

  function activeGrid() {
    return $$("[data-select-grid].selecting")[0] || null;
  }

  document.addEventListener("keydown", function (event) {
    var grid = gridOf(event.target) || activeGrid();
    if (!selecting(grid)) return;
    var tile = tileOf(event.target);
    var key = event.key;
    if (tile && (key === " " || key === "Enter")) {
      event.preventDefault();
      event.stopImmediatePropagation();
      toggle(grid, tile, event.shiftKey);
    } else if ((key === "a" || key === "A") && (event.ctrlKey || event.metaKey) && !event.altKey) {
      if (event.target.closest && event.target.closest("input, select, textarea")) return;
      event.preventDefault();
      selectAll(grid);
    } else if (key === "Escape" && !event.defaultPrevented && !$("#modal [data-modal]")) {
      event.preventDefault();
      leave(grid);
    }
  }, true);

  // More photos scrolled in (htmx) join the mode the grid is in.
  document.addEventListener("htmx:load", function (event) {
    var grid = gridOf(event.target);
    if (grid && selecting(grid)) refresh(grid);
  });

  function start() {
    if (!state || !window.fetch || !Element.prototype.closest) return;
    $$("[data-select-grid]").forEach(function (grid) {
      var button = $("[data-select-toggle]", grid);
      if (button && $("[data-select-bar]", grid) && tiles(grid).length) button.hidden = false;
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
