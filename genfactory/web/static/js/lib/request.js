/**
 * The pages' JSON request helper, re-exported for the Configurations, Settings and Job
 * Management modules (it lives in lib/api.js with {@link ApiError}).
 *
 * @module lib/request
 */

export { request } from './api.js';
