// sshd configuration as data: parse -> plan (pure) -> apply (sshd -t, backup, rename, reload).
// Wiring only; each module says why it exists.
export * from './apply.js';
export * from './block.js';
export * from './conflicts.js';
export * from './diff.js';
export * from './edit.js';
export * from './include.js';
export * from './parse.js';
export * from './reload.js';
export * from './render.js';
export * from './runner.js';
export * from './settings.js';
export * from './stream.js';
export * from './validate.js';
