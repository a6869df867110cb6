import type { Scenario } from './lib/scenario.ts';
export const memory: Scenario = {
  name: 'memory',
  title: 'todo',
  run: async () => {
    throw new Error('todo');
  },
};
