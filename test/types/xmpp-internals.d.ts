// Parts of xmpp.js that only the tests build fakes from (untyped upstream).
declare module '@xmpp/iq/callee.js' {
  const iqCallee: (options: {middleware: unknown; entity: unknown}) => {get: (...args: any[]) => void; set: (...args: any[]) => void}
  export default iqCallee
}
declare module '@xmpp/middleware' {
  const middleware: (options: {entity: unknown}) => {use: (fn: unknown) => void; filter: (fn: unknown) => void}
  export default middleware
}
declare module '@xmpp/iq/caller.js' {
  const iqCaller: (options: {middleware: unknown; entity: unknown}) => any
  export default iqCaller
}
declare module '@xmpp/reconnect' {
  const reconnect: (options: {entity: unknown}) => any
  export default reconnect
}
