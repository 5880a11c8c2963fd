import { fileURLToPath } from 'node:url';

/** Where the scale suite's failover figures go (the README's "Running at scale" quotes them). */
export const SCALE_FIGURES_FILE = fileURLToPath(new URL('../../reports/scale-figures.json', import.meta.url));
