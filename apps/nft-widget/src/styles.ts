/**
 * The uploader's shadow styles. Every colour, radius and font comes from a custom property with a
 * default, so a host themes the element without reaching into it; `::part()` styles the rest.
 */
export const UPLOADER_CSS = `
:host {
  --stratos-font: system-ui, sans-serif;
  --stratos-text: #1d1d1f;
  --stratos-muted: #55555c;
  --stratos-bg: #ffffff;
  --stratos-surface: #f4f4f7;
  --stratos-border: #c9c9d1;
  --stratos-accent: #2952cc;
  --stratos-accent-text: #ffffff;
  --stratos-danger: #b3261e;
  --stratos-success: #1b6e3a;
  --stratos-radius: 10px;
  --stratos-gap: 12px;
  display: block;
  font-family: var(--stratos-font);
  color: var(--stratos-text);
  background: var(--stratos-bg);
}
:host([hidden]) { display: none; }
[hidden] { display: none !important; }
* { box-sizing: border-box; }
.root { display: grid; gap: var(--stratos-gap); }
.drop {
  border: 2px dashed var(--stratos-border);
  border-radius: var(--stratos-radius);
  background: var(--stratos-surface);
  padding: 20px;
  text-align: center;
}
.drop.over { border-color: var(--stratos-accent); }
.drop p { margin: 4px 0; }
.hint { color: var(--stratos-muted); font-size: 0.9em; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}
button, .choose {
  font: inherit; cursor: pointer; border-radius: var(--stratos-radius);
  border: 1px solid var(--stratos-border); background: var(--stratos-bg); color: var(--stratos-text);
  padding: 6px 12px; display: inline-block;
}
.choose:focus-within, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible {
  outline: 3px solid var(--stratos-accent); outline-offset: 2px;
}
button[disabled] { opacity: 0.6; cursor: not-allowed; }
.primary { background: var(--stratos-accent); color: var(--stratos-accent-text); border-color: var(--stratos-accent); }
.files { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
.file {
  display: grid; grid-template-columns: 72px 1fr auto; gap: 8px; align-items: center;
  border: 1px solid var(--stratos-border); border-radius: var(--stratos-radius); padding: 8px;
}
.preview { width: 72px; height: 72px; object-fit: cover; border-radius: 6px; background: var(--stratos-surface);
  display: flex; align-items: center; justify-content: center; font-size: 0.8em; color: var(--stratos-muted); border: 0; }
.file-info { min-width: 0; display: grid; gap: 4px; }
.file-name { font-weight: 600; overflow-wrap: anywhere; }
.file-meta, .progress-text { color: var(--stratos-muted); font-size: 0.9em; }
progress { width: 100%; height: 8px; accent-color: var(--stratos-accent); }
.file-actions { display: flex; gap: 4px; flex-wrap: wrap; }
form { display: grid; gap: 10px; }
label.field { display: grid; gap: 4px; font-weight: 600; }
input[type=text], input[type=url], textarea, select {
  font: inherit; font-weight: normal; padding: 6px 8px; border: 1px solid var(--stratos-border);
  border-radius: 6px; background: var(--stratos-bg); color: var(--stratos-text); width: 100%;
}
fieldset { border: 1px solid var(--stratos-border); border-radius: var(--stratos-radius); display: grid; gap: 6px; }
legend { font-weight: 600; padding: 0 4px; }
.trait { display: grid; grid-template-columns: 1fr 1fr 1fr auto; gap: 6px; }
.error { color: var(--stratos-danger); font-weight: 600; }
.error:empty, .status:empty { display: none; }
.result { border: 1px solid var(--stratos-success); border-radius: var(--stratos-radius); padding: 10px; overflow-wrap: anywhere; }
.result a { color: var(--stratos-success); }
.offer { border: 1px solid var(--stratos-border); border-radius: var(--stratos-radius); padding: 10px; display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.offer-text { margin: 0; flex-basis: 100%; }
`
