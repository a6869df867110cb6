import type { Scenario } from './lib/scenario.ts';
export const throttled: Scenario = {
  name: 'throttled',
  title: 'todo',
  run: async () => {
    throw new Error('todo');
  },
};
