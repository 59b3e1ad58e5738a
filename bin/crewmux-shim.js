#!/usr/bin/env node
import '../dist/src/shim/main.js';
