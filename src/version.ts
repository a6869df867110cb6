// The agent's version, from package.json, so `version`, build_info and the User-Agent agree.
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
