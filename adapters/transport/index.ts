// MedCom transports: HTTP gateway and file drop, one shape.
export type { DeliveryResult, MedComTransport, OutboundEnvelope } from './transport.js';
export { noTransport } from './transport.js';
export { httpGatewayTransport, type HttpGatewayOptions } from './http-gateway.js';
export { fileDropTransport } from './file-drop.js';
