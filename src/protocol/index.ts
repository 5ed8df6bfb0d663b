export * from './namespaces.js'
export * from './server-address.js'
export * from './transfer-packet.js'
export * from './iq-redirect.js'
