/** Building and updating the DOM by hand: text only through textContent, so no data ever becomes markup. */

/**
 * h('button', { class: 'pay', 'aria-label': '…', onclick: fn }, 'Pay'). Props starting with "on" are
 * listeners; `false`/`undefined` props and children are skipped.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const rendered = new WeakMap();

/**
 * Makes `container`'s children show `items` in order, calling `render` only for items whose signature
 * changed since the last call: a poll that brings nothing new touches nothing, and focus stays put.
 */
export function updateList(container, items, { key, signature, render }) {
  const before = rendered.get(container) ?? new Map();
  const after = new Map();
  let cursor = container.firstChild;
  for (const item of items) {
    const k = key(item);
    const sig = signature(item);
    const old = before.get(k);
    const el = old && old.sig === sig ? old.el : render(item);
    if (old && old.el !== el) {
      if (cursor === old.el) cursor = cursor.nextSibling;
      old.el.remove();
    }
    if (el !== cursor) container.insertBefore(el, cursor);
    cursor = el.nextSibling;
    after.set(k, { sig, el });
  }
  for (const [k, { el }] of before) if (!after.has(k)) el.remove();
  rendered.set(container, after);
}
