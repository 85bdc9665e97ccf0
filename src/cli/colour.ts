// Colour only on a terminal, and never with NO_COLOR. picocolors' own default also colours
// whenever a CI variable is set, which would put escape codes into logs and pipes.
import pc from 'picocolors';

export const colour = pc.createColors(Boolean(process.stdout.isTTY || process.stderr.isTTY) && !('NO_COLOR' in process.env));
