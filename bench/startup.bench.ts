import type { Scenario } from './lib/scenario.ts';
export const startup: Scenario = {
  name: 'startup',
  title: 'todo',
  run: async () => {
    throw new Error('todo');
  },
};
