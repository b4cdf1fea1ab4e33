// Vitest setup file: after each test file, stop what it started and remove its temp
// folders (test/helpers/temp.ts), whether its tests passed or not.
import { afterAll } from 'vitest';
import { cleanupAll } from './temp.js';

afterAll(cleanupAll);
