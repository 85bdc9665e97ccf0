// Counted nouns in messages: "1 change", "2 changes".
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
