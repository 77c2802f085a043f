/**
 * A tiny element builder. User data only ever goes in as text (`textContent`, attribute values), never as
 * markup: names like `<img src=x onerror=…>` stay inert.
 */

/** Attributes and children of {@link h}. */
type Child = Node | string | null | undefined | false

/**
 * Creates an element with attributes (strings set with `setAttribute`, `true` as an empty attribute,
 * false/undefined skipped) and children (strings become text nodes).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    el.setAttribute(k, v === true ? '' : v)
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    el.append(typeof c === 'string' ? document.createTextNode(c) : c)
  }
  return el
}
