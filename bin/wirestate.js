#!/usr/bin/env node
import '../dist/wirestate.mjs';
