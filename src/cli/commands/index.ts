/** Every subcommand, in --help order. Adding a command is adding a file and a line here. */
import type { Command } from '../command.js';
import { runCommand } from './run.js';
import { demoCommand } from './demo.js';
import { statusCommand } from './status.js';
import { usageCommand } from './usage.js';
import { attachCommand } from './attach.js';
import { detectCommand } from './detect.js';
import { agentsCommand } from './agents.js';
import { skillCommand } from './skill.js';
import { dashboardCommand } from './dashboard.js';
import { superviseCommand } from './supervise.js';
import { sessionsCommand } from './sessions.js';
import { stopCommand } from './stop.js';
import { resumeCommand } from './resume.js';
import { gcCommand } from './gc.js';
import { doctorCommand } from './doctor.js';
import { initCommand } from './init.js';
import { trustCommand } from './trust.js';
import { memoryCommand } from './memory.js';

export const COMMANDS: Command[] = [
  runCommand,
  demoCommand,
  statusCommand,
  usageCommand,
  sessionsCommand,
  attachCommand,
  stopCommand,
  resumeCommand,
  gcCommand,
  detectCommand,
  doctorCommand,
  initCommand,
  trustCommand,
  memoryCommand,
  agentsCommand,
  skillCommand,
  dashboardCommand,
  superviseCommand,
];
