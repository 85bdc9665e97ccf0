export { apply, type ApplyOptions, type ApplyReport } from './apply.js';
export { ApplyError, describeChange, type FailedChange } from './errors.js';
