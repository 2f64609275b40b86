export { threadLog } from './client.js';
export { serveLog, canServe } from './server.js';
