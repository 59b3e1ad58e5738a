/** Every subcommand, in --help order. Adding a command is adding a file and a line here. */
import type { Command } from '../command.js';
import { runCommand } from './run.js';
import { demoCommand } from './demo.js';
import { statusCommand } from './status.js';
import { attachCommand } from './attach.js';
import { detectCommand } from './detect.js';
import { agentsCommand } from './agents.js';
import { skillCommand } from './skill.js';
import { dashboardCommand } from './dashboard.js';
import { superviseCommand } from './supervise.js';

export const COMMANDS: Command[] = [runCommand, demoCommand, statusCommand, attachCommand, detectCommand, agentsCommand, skillCommand, dashboardCommand, superviseCommand];
