import { describe, expect, it } from 'vitest';
import { native } from '../src/native';

describe('addon', () => {
  it('loads', () => {
    expect(typeof native).toBe('object');
  });
});
