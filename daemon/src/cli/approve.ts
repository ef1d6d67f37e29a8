import { decisionCommand } from './decide.js';

export default decisionCommand('approve');
