import type { Scenario } from './lib/scenario.ts';
export const storm: Scenario = {
  name: 'storm',
  title: 'todo',
  run: async () => {
    throw new Error('todo');
  },
};
