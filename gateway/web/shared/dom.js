// Building the page from data: every value is a text node or an attribute, never parsed as HTML.

/**
 * el("p", {class: "note", "aria-live": "polite"}, "text", child) — an element with attributes and
 * children; strings become text nodes, null and undefined are skipped, `on` maps events to handlers.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (name === "text") {
      node.textContent = String(value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(node, ...children);
  return node;
}

export function append(node, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace every child of `node` with `children`. */
export function fill(node, ...children) {
  node.replaceChildren();
  return append(node, ...children);
}

/** A definition list of [label, value] pairs; a missing value shows as "—". */
export function facts(pairs) {
  const list = el("dl", { class: "facts" });
  for (const [label, value] of pairs) {
    list.append(el("dt", {}, label), el("dd", {}, value === null || value === undefined || value === "" ? "—" : value));
  }
  return list;
}

export function byId(id) {
  return document.getElementById(id);
}
