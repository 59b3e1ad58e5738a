/** Every subcommand, in --help order. Adding a command is adding a file and a line here. */
import type { Command } from '../command.js';
import { detectCommand } from './detect.js';

export const COMMANDS: Command[] = [detectCommand];
