import { describe, expect, it } from 'vitest'
import { formatBytes } from '../src/snippet-format.ts'
import { DEFAULT_BUDGET_BYTES, MAX_BUDGET_BYTES, parseSnippetBudget } from '../src/snippet-messages.ts'

describe('data-budget', () => {
  it('reads decimal units', () => {
    expect(parseSnippetBudget('200MB')).toBe(200e6)
    expect(parseSnippetBudget('0.5 GB')).toBe(500e6)
    expect(parseSnippetBudget('5000000')).toBe(5e6)
  })
  it('defaults when absent and caps what a site may ask', () => {
    expect(parseSnippetBudget(undefined)).toBe(DEFAULT_BUDGET_BYTES)
    expect(parseSnippetBudget('')).toBe(DEFAULT_BUDGET_BYTES)
    expect(parseSnippetBudget('100GB')).toBe(MAX_BUDGET_BYTES)
  })
  it('refuses garbage and budgets under 1 MB', () => {
    expect(parseSnippetBudget('lots')).toBeUndefined()
    expect(parseSnippetBudget('-5MB')).toBeUndefined()
    expect(parseSnippetBudget('10kB')).toBeUndefined()
  })
  it('shows sizes in the units the budget is given in', () => {
    expect(formatBytes(200e6)).toBe('200 MB')
    expect(formatBytes(1.5e9)).toBe('1.5 GB')
  })
})
