"""Lesson data and lesson-only calculations: the lecture's tables, histories and worked examples."""
