export { observe, type ObserveRequest } from './observe.js';
