// Reading Prosody 0.12's real answers to the XEP-0133 commands (captured from the lab with
// test/lab/prosody-capture-fixtures.ts into test/unit/xep0133-fixtures/).
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, test} from 'node:test'

import parse from '@xmpp/xml/lib/parse.js'

import {CommandRefused, fitToForm, readAnswer} from '../../src/adapters/xep0133/ad-hoc-commands.js'
import {formOf, parseDataForm, submitForm} from '../../src/adapters/xep0133/forms.js'
import {parseOnlineUsers, parseUserStats} from '../../src/adapters/xep0133/sessions.js'

const ONLINE = 'http://jabber.org/protocol/admin#get-online-users-list'

function fixture(name: string) {
  return parse(readFileSync(new URL(`xep0133-fixtures/${name}.xml`, import.meta.url), 'utf8').trim())
}

function answerOf(name: string, node = ONLINE) {
  const answer = readAnswer(node, fixture(name))
  assert.ok(!(answer instanceof CommandRefused), `${name} is an error: ${answer}`)
  return answer
}

describe('XEP-0004 forms in Prosody answers', () => {
  test('the empty get-online-users-list form: session id, FORM_TYPE, max_items options, a details boolean', () => {
    const answer = answerOf('online-users-form')
    assert.equal(answer.status, 'executing')
    assert.match(answer.sessionid ?? '', /^[0-9a-f-]{36}$/)
    const form = answer.form!
    assert.equal(form.type, 'form')
    assert.equal(form.formType, 'http://jabber.org/protocol/admin')
    assert.equal(form.title, 'Getting List of Online Users')
    assert.deepEqual(form.fields.get('max_items')?.options, ['25', '50', '75', '100', '150', '200', 'all'])
    assert.equal(form.fields.get('max_items')?.type, 'list-single')
    assert.equal(form.fields.get('details')?.type, 'boolean')
  })

  test('our values fitted to that form: unknown fields dropped, "all" kept', () => {
    const form = answerOf('online-users-form').form!
    assert.deepEqual(fitToForm(form, {max_items: 'all', details: true, verbose: 'yes'}), {max_items: 'all', details: true})
  })

  test('a form without "all" gets "none", else its largest number', () => {
    const withNone = parseDataForm(
      parse(
        `<x xmlns='jabber:x:data' type='form'><field var='max_items' type='list-single'><option><value>25</value></option><option><value>none</value></option></field></x>`,
      ),
    )
    assert.deepEqual(fitToForm(withNone, {max_items: 'all'}), {max_items: 'none'})
    const numbers = parseDataForm(
      parse(
        `<x xmlns='jabber:x:data' type='form'><field var='max_items' type='list-single'><option><value>25</value></option><option><value>200</value></option><option><value>100</value></option></field></x>`,
      ),
    )
    assert.deepEqual(fitToForm(numbers, {max_items: 'all'}), {max_items: '200'})
  })

  test('a submitted form: FORM_TYPE first, booleans as 1/0, one <value/> per list item', () => {
    const form = parseDataForm(submitForm('http://jabber.org/protocol/admin', {max_items: 'all', details: true, quiet: false, accountjids: ['a@x', 'b@x/r']}))
    assert.equal(form.type, 'submit')
    assert.equal(form.formType, 'http://jabber.org/protocol/admin')
    assert.deepEqual([...form.fields.keys()], ['FORM_TYPE', 'max_items', 'details', 'quiet', 'accountjids'])
    assert.deepEqual(form.fields.get('details')?.values, ['1'])
    assert.deepEqual(form.fields.get('quiet')?.values, ['0'])
    assert.deepEqual(form.fields.get('accountjids')?.values, ['a@x', 'b@x/r'])
  })
})

describe('get-online-users-list (Prosody 0.12)', () => {
  test('with details: full JIDs, the presence show and priority, the IP; a resource may hold ": " and parentheses', () => {
    const answer = answerOf('online-users-details')
    assert.equal(answer.status, 'completed')
    const {sessions, detailed} = parseOnlineUsers(answer.form)
    assert.equal(detailed, true)
    assert.deepEqual(sessions, [
      {bare: 'admin@example.test', resource: 'fixtures', show: 'unavailable', priority: '-', ip: '127.0.0.1'},
      {bare: 'user0001@example.test', resource: 'laptop: work (2)', show: 'unavailable', priority: '-', ip: '127.0.0.1'},
      {bare: 'user0001@example.test', resource: 'phone', show: 'unavailable', priority: '-', ip: '127.0.0.1'},
      {bare: 'user0002@example.test', resource: 'rehearsal', show: 'away', priority: '5', ip: '127.0.0.1'},
    ])
  })

  test('without details: bare JIDs only (XEP-0133 as written), one per user', () => {
    const {sessions, detailed} = parseOnlineUsers(answerOf('online-users-bare').form)
    assert.equal(detailed, false)
    assert.deepEqual(sessions, [{bare: 'admin@example.test'}, {bare: 'user0001@example.test'}, {bare: 'user0002@example.test'}])
  })

  test('a server listing full JIDs, or values holding several lines, is read too', () => {
    const form = parseDataForm(
      parse(
        `<x xmlns='jabber:x:data' type='result'><field var='onlineuserjids' type='text-multi'><value>a@x/one\nb@x</value><value>c@x/two/three</value></field></x>`,
      ),
    )
    assert.deepEqual(parseOnlineUsers(form), {detailed: true, sessions: [{bare: 'a@x', resource: 'one'}, {bare: 'b@x'}, {bare: 'c@x', resource: 'two/three'}]})
  })

  test('no form at all: nobody', () => {
    assert.deepEqual(parseOnlineUsers(undefined), {sessions: [], detailed: false})
  })
})

describe('user-stats, end-user-session and refusals (Prosody 0.12)', () => {
  test('user-stats of an online user: each resource with its IP, in order', () => {
    const answer = answerOf('user-stats-online', 'http://jabber.org/protocol/admin#user-stats')
    assert.deepEqual(parseUserStats('user0001@example.test', answer.form), [
      {bare: 'user0001@example.test', resource: 'laptop: work (2)', ip: '127.0.0.1'},
      {bare: 'user0001@example.test', resource: 'phone', ip: '127.0.0.1'},
    ])
  })

  test('user-stats of an offline user: empty fields; of an unknown user: a completed command with an error note', () => {
    assert.deepEqual(parseUserStats('user0003@example.test', answerOf('user-stats-offline').form), [])
    const unknown = answerOf('user-stats-unknown', 'http://jabber.org/protocol/admin#user-stats')
    assert.equal(unknown.status, 'completed')
    assert.equal(unknown.form, undefined)
    assert.deepEqual(unknown.notes, [{type: 'error', text: 'User does not exist'}])
    assert.deepEqual(parseUserStats('nobody@example.test', unknown.form), [])
  })

  test('end-user-session: completed, with an info note naming what was ended', () => {
    const answer = answerOf('end-user-session', 'http://jabber.org/protocol/admin#end-user-session')
    assert.equal(answer.status, 'completed')
    assert.equal(answer.notes.length, 1)
    assert.equal(answer.notes[0].type, 'info')
    assert.match(answer.notes[0].text, /successfully disconnected:\nuser0001@example\.test\/phone/)
  })

  test('a command Prosody does not have (get-active-users): service-unavailable, "unavailable"', () => {
    const refused = readAnswer('http://jabber.org/protocol/admin#get-active-users', fixture('get-active-users'))
    assert.ok(refused instanceof CommandRefused)
    assert.equal(refused.condition, 'service-unavailable')
    assert.equal(refused.unavailable, true)
    assert.equal(refused.forbidden, false)
  })

  test('a user who is not an admin: forbidden, with the text', () => {
    const refused = readAnswer(ONLINE, fixture('not-admin'))
    assert.ok(refused instanceof CommandRefused)
    assert.equal(refused.condition, 'forbidden')
    assert.equal(refused.forbidden, true)
    assert.equal(refused.text, "You don't have permission to execute this command")
    assert.equal(refused.message, "get-online-users-list: forbidden (You don't have permission to execute this command)")
  })

  test('formOf finds no form in a note-only answer', () => {
    assert.equal(formOf(fixture('end-user-session').getChild('command')), undefined)
  })
})
