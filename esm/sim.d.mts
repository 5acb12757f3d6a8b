export * from '../dist/sim.js';
