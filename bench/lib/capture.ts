// The statement recorder is shared with the statement count test.
export * from '../../server/test/statements.js';
