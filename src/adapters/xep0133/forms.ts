import xml, {type Element} from '@xmpp/xml'

export const NS_DATA = 'jabber:x:data'
export const NS_COMMANDS = 'http://jabber.org/protocol/commands'
export const NS_ADMIN = 'http://jabber.org/protocol/admin'

export interface FormField {
  var: string
  type?: string
  label?: string
  values: string[]
  /** For list fields: the values one may pick. */
  options: string[]
  required: boolean
}

/** An XEP-0004 data form, read. */
export interface DataForm {
  type: string
  /** The hidden FORM_TYPE field's value, when there is one. */
  formType?: string
  title?: string
  fields: Map<string, FormField>
}

export type FieldValue = string | string[] | boolean

/** Read an `<x xmlns='jabber:x:data'>` element (form, result or submit). */
export function parseDataForm(x: Element): DataForm {
  const fields = new Map<string, FormField>()
  for (const field of x.getChildren('field')) {
    const name = field.attrs.var
    if (!name) continue // fixed fields (labels) carry no value we read
    fields.set(name, {
      var: name,
      type: field.attrs.type,
      label: field.attrs.label,
      values: field.getChildren('value').map((value) => value.text()),
      options: field.getChildren('option').map((option) => option.getChildText('value') ?? ''),
      required: field.getChild('required') !== undefined,
    })
  }
  return {
    type: x.attrs.type ?? 'form',
    formType: fields.get('FORM_TYPE')?.values[0],
    title: x.getChildText('title') ?? undefined,
    fields,
  }
}

/** The data form a command answer carries, if any. */
export function formOf(command: Element | undefined): DataForm | undefined {
  const x = command?.getChild('x', NS_DATA)
  return x ? parseDataForm(x) : undefined
}

/** A submitted form: FORM_TYPE first, then each value (booleans as "1"/"0", arrays as one value each). */
export function submitForm(formType: string | undefined, values: Record<string, FieldValue>): Element {
  const fields: Element[] = []
  if (formType) fields.push(xml('field', {var: 'FORM_TYPE', type: 'hidden'}, xml('value', {}, formType)))
  for (const [name, value] of Object.entries(values)) {
    const list = typeof value === 'boolean' ? [value ? '1' : '0'] : Array.isArray(value) ? value : [value]
    fields.push(xml('field', {var: name}, ...list.map((item) => xml('value', {}, item))))
  }
  return xml('x', {xmlns: NS_DATA, type: 'submit'}, ...fields)
}

/** A field's values, every value split at newlines (text-multi values may hold several lines). */
export function fieldLines(form: DataForm | undefined, name: string): string[] {
  const field = form?.fields.get(name)
  if (!field) return []
  return field.values.flatMap((value) => value.split('\n'))
}
