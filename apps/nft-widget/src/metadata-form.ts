/** The metadata form: OpenSea's fields and a list of traits, read back as an `NftMetadataInput`. */
import { h } from './dom.js'
import { DISPLAY_TYPES, type DisplayType, type NftMetadataInput } from './metadata.js'

/** The form element and how to read it. */
export interface MetadataForm {
  readonly element: HTMLFormElement
  read(): NftMetadataInput
  /** Fills the fields (for hosts that prefill, and for tests). */
  fill(input: Partial<NftMetadataInput>): void
  setDisabled(disabled: boolean): void
  /** Changes the submit button's text. */
  setSubmitLabel(label: string): void
}

let formCounter = 0

function field(label: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  return h('label', { class: 'field' }, label, control, hint ? h('span', { class: 'hint' }, hint) : null)
}

/** Builds the form; `submitLabel` is the text of its submit button. */
export function createMetadataForm(submitLabel: string): MetadataForm {
  const id = `stratos-form-${++formCounter}`
  const name = h('input', { type: 'text', name: 'name', required: true, autocomplete: 'off', part: 'input' })
  const description = h('textarea', { name: 'description', rows: '3', part: 'input' })
  const external = h('input', { type: 'url', name: 'external_url', placeholder: 'https://', part: 'input' })
  const color = h('input', {
    type: 'text',
    name: 'background_color',
    placeholder: '1a2b3c',
    maxlength: '7',
    part: 'input',
  })
  const animation = h('input', { type: 'url', name: 'animation_url', placeholder: 'https://', part: 'input' })
  const traits = h('div', { class: 'traits' })
  const addTrait = h('button', { type: 'button', part: 'button add-trait' }, 'Add a trait')
  const submit = h('button', { type: 'submit', class: 'primary', part: 'button submit' }, submitLabel)
  let traitCounter = 0

  const addRow = (trait?: { trait_type?: string; value?: string | number; display_type?: DisplayType }) => {
    const n = ++traitCounter
    const select = h(
      'select',
      { name: 'display_type', 'aria-label': `Trait ${n} display`, part: 'input' },
      h('option', { value: '' }, 'Text'),
      ...DISPLAY_TYPES.map((t) => h('option', { value: t }, t.replace('_', ' '))),
    )
    if (trait?.display_type) select.value = trait.display_type
    const type = h('input', {
      type: 'text',
      name: 'trait_type',
      placeholder: 'Trait',
      'aria-label': `Trait ${n} name`,
      part: 'input',
    })
    type.value = trait?.trait_type ?? ''
    const value = h('input', {
      type: 'text',
      name: 'value',
      placeholder: 'Value',
      'aria-label': `Trait ${n} value`,
      part: 'input',
    })
    value.value = trait?.value === undefined ? '' : String(trait.value)
    const remove = h(
      'button',
      { type: 'button', 'aria-label': `Remove trait ${n}`, part: 'button' },
      'Remove',
    )
    const row = h('div', { class: 'trait', part: 'trait' }, type, value, select, remove)
    remove.addEventListener('click', () => row.remove())
    traits.append(row)
    return row
  }
  addTrait.addEventListener('click', () => {
    const row = addRow()
    row.querySelector('input')?.focus()
  })

  const element = h(
    'form',
    { part: 'form', id, novalidate: true },
    field('Name (required)', name),
    field('Description', description),
    field('External link', external, 'A page about the item on your site'),
    field('Background colour', color, 'Six hex digits, like 1a2b3c'),
    field('Animation link', animation, 'Only if you do not upload an animation file'),
    h('fieldset', { part: 'traits' }, h('legend', {}, 'Traits'), traits, h('div', {}, addTrait)),
    h('div', {}, submit),
  )

  return {
    element,
    read() {
      const attributes = [...traits.querySelectorAll('.trait')].map((row) => {
        const [type, value] = row.querySelectorAll('input')
        const display = (row.querySelector('select') as HTMLSelectElement).value as DisplayType | ''
        return {
          trait_type: (type as HTMLInputElement).value,
          value: (value as HTMLInputElement).value,
          ...(display ? { display_type: display } : {}),
        }
      })
      return {
        name: name.value,
        description: description.value,
        external_url: external.value,
        background_color: color.value,
        animation_url: animation.value,
        attributes,
      }
    },
    fill(input) {
      if (input.name !== undefined) name.value = input.name
      if (input.description !== undefined) description.value = input.description
      if (input.external_url !== undefined) external.value = input.external_url
      if (input.background_color !== undefined) color.value = input.background_color
      if (input.animation_url !== undefined) animation.value = input.animation_url
      if (input.attributes) {
        traits.replaceChildren()
        for (const a of input.attributes) addRow(a)
      }
    },
    setSubmitLabel(label) {
      submit.textContent = label
    },
    setDisabled(disabled) {
      for (const c of element.querySelectorAll('input, textarea, select, button'))
        (c as HTMLInputElement).disabled = disabled
    },
  }
}
